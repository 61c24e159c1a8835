/**
 * The taint tracker's public surface: record what entered a session, then ask which arguments of
 * a proposed write carry values from untrusted content. Everything here is pure.
 */
export { assessTaint } from './assess.js';
export type { TaintAssessment, TaintedArgument, TaintOptions, TaintSource } from './assess.js';
export { extractValues, scanText } from './extract.js';
export type { TextScan } from './extract.js';
export { createFingerprinter } from './fingerprint.js';
export type { Fingerprinter } from './fingerprint.js';
export type { ExtractedValue, MatchClass, RelatedValue, ValueKind } from './kinds.js';
export { indexLedger, recordContent } from './ledger.js';
export type { ContentOrigin, ContentRecord, ContentSource, ContentTrust, LedgerEntry, LedgerIndex } from './ledger.js';
export { normalizeValue } from './normalize.js';
