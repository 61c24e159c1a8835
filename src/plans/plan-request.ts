import { InterlockError } from '../errors/interlock-error.js';
import { isValidExternalId } from '../gate/call.js';
import { snapshotArguments } from '../gate/arguments-snapshot.js';
import { MAX_PLAN_STEPS, type PlanAction, type PlanProposal } from './plan.js';

const MAX_NAME = 128;
const MAX_ASSERTION = 8192;
const PROPOSAL_FIELDS = new Set(['schemaVersion', 'actions', 'traceId', 'sessionId', 'actingFor']);
const ACTION_FIELDS = new Set(['tool', 'operation', 'arguments', 'idempotencyKey', 'evidence']);

/**
 * Checks a proposal from any door (HTTP validates the same shape with its schema first; the CLI
 * and in-process callers arrive here directly). Unknown fields are refused, never ignored.
 */
export function parseProposal(value: unknown): PlanProposal {
  const proposal = plainObject(value, '(proposal)');
  for (const key of Object.keys(proposal)) if (!PROPOSAL_FIELDS.has(key)) invalid(`unknown field "${key.slice(0, 64)}"`);
  if (proposal['schemaVersion'] !== undefined && proposal['schemaVersion'] !== 1) {
    throw new InterlockError('SCHEMA_VERSION_UNSUPPORTED', 'schemaVersion must be 1');
  }
  const actions = proposal['actions'];
  if (!Array.isArray(actions) || actions.length < 1 || actions.length > MAX_PLAN_STEPS) {
    invalid(`actions must be a list of 1 to ${MAX_PLAN_STEPS} actions`);
  }
  const parsed = actions.map((action, index) => parseAction(action, index));
  const keys = new Set<string>();
  for (const action of parsed) {
    if (action.idempotencyKey === undefined) continue;
    if (keys.has(action.idempotencyKey)) invalid(`idempotency key "${action.idempotencyKey}" is used by two actions of the plan`);
    keys.add(action.idempotencyKey);
  }
  return {
    actions: parsed,
    traceId: optionalId(proposal['traceId'], 'traceId'),
    sessionId: optionalId(proposal['sessionId'], 'sessionId'),
    actingFor: optionalText(proposal['actingFor'], 'actingFor', MAX_ASSERTION),
  };
}

function parseAction(value: unknown, index: number): PlanAction {
  const where = `actions[${index}]`;
  const action = plainObject(value, where);
  for (const key of Object.keys(action)) if (!ACTION_FIELDS.has(key)) invalid(`${where} has an unknown field "${key.slice(0, 64)}"`);
  const tool = optionalText(action['tool'], `${where}.tool`, MAX_NAME);
  const operation = optionalText(action['operation'], `${where}.operation`, MAX_NAME);
  if (tool === undefined || operation === undefined) invalid(`${where} needs a tool and an operation`);
  let args: Readonly<Record<string, unknown>>;
  try {
    args = snapshotArguments(action['arguments']);
  } catch {
    invalid(`${where}.arguments must be a JSON object`);
  }
  const idempotencyKey = optionalId(action['idempotencyKey'], `${where}.idempotencyKey`);
  const evidence = action['evidence'];
  return {
    tool,
    operation,
    arguments: args,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(evidence === undefined ? {} : { evidence }),
  };
}

function plainObject(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function optionalText(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) invalid(`${name} must be a string of 1-${max} characters`);
  return value;
}

function optionalId(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isValidExternalId(value)) invalid(`${name} must be 1-128 characters of A-Z a-z 0-9 . _ : -`);
  return value;
}

function invalid(message: string): never {
  throw new InterlockError('REQUEST_INVALID', message);
}
