import { setFlagsFromString } from 'node:v8';

/**
 * The one door to Cedar's WebAssembly build. Node 20's V8 can abort the whole process ("Fatal
 * error: unreachable code" in the deoptimiser) when optimised code that inlined a call into
 * WebAssembly is invalidated while that call runs — which Cedar calls do routinely, since they
 * read and build JavaScript objects. Turning that inlining off before any policy code is
 * optimised removes the crash; the cost is a few nanoseconds per Cedar call.
 */
setFlagsFromString('--no-turbo-inline-js-wasm-calls');

export {
  isAuthorized,
  policyToJson,
  preparsePolicySet,
  schemaToText,
  statefulIsAuthorized,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs';
export type {
  ActionType,
  AuthorizationAnswer,
  CedarValueJson,
  Context,
  DetailedError,
  Effect,
  EntityJson,
  EntityUidJson,
  PolicyJson,
  SchemaJson,
  StatefulAuthorizationCall,
  Type,
} from '@cedar-policy/cedar-wasm/nodejs';
