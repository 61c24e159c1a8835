import { InterlockError } from '../errors/interlock-error.js';

/** Limits, cursors and ordinals are refused before they reach SQL unless they are whole numbers, zero or more. */
export function requireCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InterlockError('REQUEST_INVALID', `${name} must be a whole number, zero or more.`, { [name]: value });
  }
}
