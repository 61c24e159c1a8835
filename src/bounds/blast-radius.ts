import type { CounterIncrement } from '../store/store.js';

/** Caps on what one request (trace) or one session may do in total. */
export interface Caps {
  readonly toolCalls?: number | undefined;
  readonly writes?: number | undefined;
  readonly entities?: number | undefined;
}

export interface CapScope {
  readonly tenant: string;
  readonly traceId: string;
  readonly sessionId: string | null;
}

export interface CallWeight {
  readonly isWrite: boolean;
  readonly entityCount: number;
}

/** Names a limit in errors and audit events, e.g. `perSession.writes`. */
export interface CapCounter {
  readonly limitName: string;
  readonly max: number;
  readonly increment: CounterIncrement;
}

/**
 * The counters one call adds to. Only capped dimensions are counted, so an unconfigured cap costs
 * nothing. Keys are tenant-qualified so that ids chosen by agents cannot collide across tenants.
 */
export function capCounters(perRequest: Caps, perSession: Caps, scope: CapScope, weight: CallWeight, expiresAt: string): CapCounter[] {
  const counters: CapCounter[] = [];
  const add = (scopeName: 'perRequest' | 'perSession', scopeKey: string, caps: Caps): void => {
    const dimensions: Array<[keyof Caps, number]> = [
      ['toolCalls', 1],
      ['writes', weight.isWrite ? 1 : 0],
      ['entities', weight.entityCount],
    ];
    for (const [dimension, by] of dimensions) {
      const max = caps[dimension];
      if (max === undefined) continue;
      counters.push({
        limitName: `${scopeName}.${dimension}`,
        max,
        increment: { key: `${scopeName}:${dimension}:${scope.tenant}:${scopeKey}`, by, expiresAt },
      });
    }
  };
  add('perRequest', scope.traceId, perRequest);
  if (scope.sessionId !== null) add('perSession', scope.sessionId, perSession);
  return counters;
}

/**
 * Caps on what one agent may do per fixed time window, whatever trace or session ids it sends:
 * per-request and per-session caps key on ids the agent chooses, these on its identity.
 */
export function agentWindowCounters(
  caps: Caps,
  windowMs: number,
  scope: { readonly tenant: string; readonly agentId: string },
  weight: CallWeight,
  nowMs: number,
): CapCounter[] {
  const windowStart = Math.floor(nowMs / windowMs) * windowMs;
  const expiresAt = new Date(windowStart + 2 * windowMs).toISOString();
  const dimensions: Array<[keyof Caps, number]> = [
    ['toolCalls', 1],
    ['writes', weight.isWrite ? 1 : 0],
    ['entities', weight.entityCount],
  ];
  const counters: CapCounter[] = [];
  for (const [dimension, by] of dimensions) {
    const max = caps[dimension];
    if (max === undefined) continue;
    counters.push({
      limitName: `perAgent.${dimension}`,
      max,
      increment: { key: `perAgent:${dimension}:${scope.tenant}:${scope.agentId}:${windowStart}`, by, expiresAt },
    });
  }
  return counters;
}

export interface CapHit {
  readonly limit: string;
  readonly max: number;
  readonly reached: number;
}

/** The first cap the new counter values exceed, or null. */
export function firstCapExceeded(counters: readonly CapCounter[], values: readonly number[]): CapHit | null {
  for (let index = 0; index < counters.length; index += 1) {
    const counter = counters[index];
    const value = values[index];
    // A dimension this call does not add to (a read under a writes cap) cannot be exceeded by it.
    if (counter === undefined || counter.increment.by === 0) continue;
    // A missing or unreadable counter value fails closed: the cap counts as reached.
    if (value === undefined || !Number.isFinite(value) || value > counter.max) {
      return {
        limit: counter.limitName,
        max: counter.max,
        reached: value !== undefined && Number.isFinite(value) ? value : counter.max + 1,
      };
    }
  }
  return null;
}
