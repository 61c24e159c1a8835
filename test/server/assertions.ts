import { strict as assert } from 'node:assert';
import type { ErrorCode } from '../../src/errors/catalogue.js';
import type { StoredAuditEvent } from '../../src/store/store.js';
import type { ApiBody, HttpAnswer, ProjectFixture } from '../support/project-fixture.js';

export type ErrorFields = NonNullable<ApiBody['error']>;

/** The answer is Interlock's error envelope with this status and code. */
export function assertError(answer: HttpAnswer, status: number, code: ErrorCode): ErrorFields {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text}`);
  assert.equal(answer.body.schemaVersion, 1, `error envelope without schemaVersion: ${answer.text}`);
  const error = answer.body.error;
  assert.ok(error !== undefined, `no error in ${answer.text}`);
  assert.equal(error.code, code, `expected ${code}: ${answer.text}`);
  assert.equal(error.status, status);
  assert.equal(typeof error.message, 'string');
  return error;
}

/** The data of a stored audit event. */
export function eventData(event: StoredAuditEvent): Record<string, unknown> {
  return (JSON.parse(event.body) as { data: Record<string, unknown> }).data;
}

/** Types of the audit events of one call, in chain order. */
export async function callEventTypes(project: ProjectFixture, callId: string): Promise<string[]> {
  return (await project.auditEvents({ callId })).map((event) => event.type);
}

/** The call was refused before anything ran: exactly one `call.refused` event with this code. */
export async function assertRefusedOnly(
  project: ProjectFixture,
  answer: HttpAnswer,
  code: ErrorCode,
  before: readonly string[] = [],
): Promise<void> {
  const callId = answer.body.callId;
  assert.ok(typeof callId === 'string', `refusal without callId: ${answer.text}`);
  const events = await project.auditEvents({ callId });
  assert.deepEqual(
    events.map((event) => event.type),
    [...before, 'call.refused'],
  );
  const refused = events[events.length - 1];
  assert.ok(refused !== undefined);
  assert.equal(eventData(refused)['code'], code);
}

/** Object.prototype carries none of the given keys (a pollution attempt failed). */
export function assertPrototypeClean(...keys: string[]): void {
  const probe: Record<string, unknown> = {};
  for (const key of keys) assert.equal(probe[key], undefined, `Object.prototype.${key} was polluted`);
}
