import type { Effect } from '../config/schema.js';

/** Every Cedar name Interlock generates lives in this namespace; policies spell it out in full. */
export const CEDAR_NAMESPACE = 'Interlock';

export const AGENT_TYPE = `${CEDAR_NAMESPACE}::Agent`;
export const USER_TYPE = `${CEDAR_NAMESPACE}::User`;
export const TOOL_TYPE = `${CEDAR_NAMESPACE}::Tool`;
export const ACTION_TYPE = `${CEDAR_NAMESPACE}::Action`;

/** The effect groups every operation action belongs to. Operation ids always contain a dot, so they never collide. */
export const EFFECT_GROUPS: readonly Effect[] = ['read', 'write', 'destructive'];
