/**
 * Redaction runs on every string an agent or an upstream sends. A pattern that backtracks
 * quadratically lets one request freeze the process, so each pattern is fed long inputs built to
 * make it rescan. Linear patterns finish these in milliseconds; a quadratic one takes seconds to
 * minutes, far beyond the generous bound here (this is a safety check, not a benchmark).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Redactor } from '../../src/redaction/redactor.js';

const SIZE = 100_000;
const repeat = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length));

const HOSTILE: Record<string, string> = {
  'JWT prefixes in one base64url run': repeat('eyJ-'),
  'JWT prefixes without separators': repeat('eyJ'),
  'JWT first segments without a second': repeat('eyJaaaaaaaaa.'),
  'sk- prefixes': repeat('sk-'),
  'bearer words': repeat('Bearer '),
  'basic words': repeat('Basic '),
  'URL user parts without a password': repeat('a://b:'),
  'credential assignments': repeat('password='),
  'credential word then blanks': `apikey:${' '.repeat(SIZE)}`,
  'private key headers without an end': repeat('-----BEGIN RSA PRIVATE KEY-----'),
  'GitHub prefixes': repeat('ghp_'),
  'Slack prefixes': repeat('xoxb-'),
  'quoted assignments': repeat('x_password: "'),
  'near-miss of a known secret': repeat('canary-secret-value-12'),
};

for (const [name, text] of Object.entries(HOSTILE)) {
  test(`redaction stays linear on ${SIZE / 1000} KB of ${name}`, () => {
    const redactor = new Redactor({ knownSecrets: new Set(['canary-secret-value-123']) });
    const started = performance.now();
    redactor.redact({ arguments: { text } });
    redactor.redactText(text);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
  });
}
