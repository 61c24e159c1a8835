/**
 * A signal that aborts when its parent does, or with a `TimeoutError` once `ms` have passed.
 *
 * The timer and the controller are held strongly until `dispose()`. `AbortSignal.timeout()` is
 * held only weakly by its timer, and on Node 20 a signal combined from it with `AbortSignal.any()`
 * can be collected while a request waits on it: the deadline then never fires and the request
 * hangs until the peer closes the socket. A deadline that guards a side effect cannot be lost.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer and unhooks the parent; the signal keeps whatever state it reached. */
  dispose(): void;
}

export function deadline(parent: AbortSignal, ms: number): Deadline {
  const controller = new AbortController();
  const followParent = (): void => controller.abort(parent.reason);
  if (parent.aborted) followParent();
  else parent.addEventListener('abort', followParent, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`the deadline of ${ms} ms passed`, 'TimeoutError'));
  }, ms);
  return {
    signal: controller.signal,
    dispose(): void {
      clearTimeout(timer);
      parent.removeEventListener('abort', followParent);
    },
  };
}
