import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

/** Serialisable form of an error, as sent on the wire and stored in audit events. */
export interface ErrorData {
  readonly code: ErrorCode;
  readonly message: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * A local error with a stable code from the catalogue. Messages must never contain secrets:
 * they are shown to agents, written to logs and stored in audit events.
 */
export class InterlockError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'InterlockError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CATALOGUE[this.code].retryable;
  }

  toData(): ErrorData {
    const base = { code: this.code, message: this.message, status: this.status, retryable: this.retryable };
    return this.details === undefined ? base : { ...base, details: this.details };
  }
}

export function isInterlockError(value: unknown): value is InterlockError {
  return value instanceof InterlockError;
}
