/**
 * The one list of credential shapes Interlock recognises, used both to refuse literal secrets in
 * configuration and to scrub events, log lines and error messages. Each pattern is written so
 * ordinary prose does not match, and so it runs in linear time (no nested unbounded quantifiers).
 */

export interface SecretPattern {
  /** Stable identifier, recorded as the detail of a redaction. */
  readonly id: string;
  /** Human name, e.g. for configuration errors. */
  readonly name: string;
  /** Non-global and stateless: safe for `.test()` from anywhere. */
  readonly pattern: RegExp;
  /**
   * How much of a match is secret. `whole` replaces the match; `last-group` keeps every capture
   * group but the last (a key name, a URL's user) and replaces only the last one.
   */
  readonly replace: 'whole' | 'last-group';
}

const CREDENTIAL_WORDS =
  'password|passwd|passphrase|secret|secret[_-]?key|client[_-]?secret|token|auth[_-]?token|access[_-]?token|refresh[_-]?token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?';

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'private_key_block',
    name: 'private key block',
    // The whole block up to its END line; without an END line, everything after BEGIN.
    pattern: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|[\s\S]*)/,
    replace: 'whole',
  },
  { id: 'aws_access_key_id', name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, replace: 'whole' },
  {
    id: 'github_token',
    name: 'GitHub token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/,
    replace: 'whole',
  },
  { id: 'slack_token', name: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/, replace: 'whole' },
  {
    id: 'slack_webhook',
    name: 'Slack webhook URL',
    pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9_/-]{20,}/,
    replace: 'whole',
  },
  { id: 'stripe_key', name: 'Stripe key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/, replace: 'whole' },
  { id: 'google_api_key', name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/, replace: 'whole' },
  { id: 'sk_key', name: 'sk- API key', pattern: /\bsk-[A-Za-z0-9_-]{20,}/, replace: 'whole' },
  {
    id: 'json_web_token',
    name: 'JSON Web Token',
    // Anchored to the start of a base64url run: unanchored, every "eyJ" inside a long run would
    // rescan the rest of it, which is quadratic on hostile input.
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/,
    replace: 'whole',
  },
  {
    id: 'bearer_credential',
    name: 'bearer credential',
    pattern: /\b([Bb]earer\s+)([A-Za-z0-9._~+/-]{16,}=*)/,
    replace: 'last-group',
  },
  {
    id: 'basic_credential',
    name: 'basic credential',
    pattern: /\b(Basic\s+)([A-Za-z0-9+/]{16,}={0,2})/,
    replace: 'last-group',
  },
  {
    id: 'url_password',
    name: 'URL with password',
    pattern: /\b([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@]{1,256}:)([^\s@/]{1,256})(?=@)/,
    replace: 'last-group',
  },
  {
    id: 'credential_assignment',
    name: 'credential assignment',
    // `password=…`, `api_key: …`, `"client_secret": "…"`: the credential word must end the key
    // name, so `max_tokens: 12` or `password_hint=…` are left alone.
    pattern: new RegExp(
      `\\b([A-Za-z0-9_.-]{0,40}?(?:${CREDENTIAL_WORDS})["']?[ \\t]*[:=][ \\t]*)("(?!\\[REDACTED\\]")[^"\\r\\n]+"|'(?!\\[REDACTED\\]')[^'\\r\\n]+'|(?!\\[REDACTED\\])[^\\s"',;&}]{3,})`,
      'i',
    ),
    replace: 'last-group',
  },
];

/**
 * A key whose name says it holds a credential (`password`, `apiKey`, `client_secret`,
 * `Authorization`): string values under such keys are redacted whatever they look like.
 */
export const CREDENTIAL_FIELD_NAME = new RegExp(`(?:${CREDENTIAL_WORDS}|authorization|cookie)$`, 'i');

/** The first pattern that matches, or null. */
export function findSecretPattern(text: string): SecretPattern | null {
  for (const secretPattern of SECRET_PATTERNS) {
    if (secretPattern.pattern.test(text)) return secretPattern;
  }
  return null;
}
