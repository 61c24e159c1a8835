/** The entitlement rule, as a table: allowlist, classification, acting-for user and roles. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Classification } from '../../src/config/schema.js';
import { accessTo, stricterClassification, type Reader, type SourceAccessRules } from '../../src/retrieval/access.js';

const source = (classification: Classification, tasks?: string[]): SourceAccessRules => ({
  tenant: 'acme',
  classification,
  allow: { agents: ['bot'], tasks },
  readers: { roles: ['lead'], agents: ['trusted-bot', 'bot-entitled'] },
});
const reader = (overrides: Partial<Reader> = {}): Reader => ({ tenant: 'acme', agentId: 'bot', user: null, task: null, ...overrides });
const withRole = (roles: string[]) => reader({ user: { userId: 'u', roles } });

describe('who may see what', () => {
  it('only allowlisted agents of the source’s tenant, and only for its tasks when it lists any', () => {
    assert.equal(accessTo(source('public'), 'public', reader({ tenant: 'globex' })).kind, 'not_allowed');
    assert.equal(accessTo(source('public'), 'public', reader({ agentId: 'other' })).kind, 'not_allowed');
    assert.equal(accessTo(source('public', ['incident']), 'public', reader()).kind, 'not_allowed');
    assert.equal(accessTo(source('public', ['incident']), 'public', reader({ task: 'billing' })).kind, 'not_allowed');
    assert.equal(accessTo(source('public', ['incident']), 'public', reader({ task: 'incident' })).kind, 'visible');
  });

  it('classification and entitlement decide visibility and personal-data redaction', () => {
    const cases: Array<[Classification, Reader, string, boolean | null]> = [
      ['public', reader(), 'visible', false],
      ['internal', reader(), 'visible', true],
      ['internal', withRole(['lead']), 'visible', false],
      ['pii', withRole(['support']), 'visible', true],
      ['pii', withRole(['lead']), 'visible', false],
      ['confidential', reader(), 'withheld', null],
      ['confidential', withRole(['lead']), 'visible', false],
      ['secret', withRole(['support']), 'withheld', null],
      ['secret', withRole(['lead']), 'visible', false],
    ];
    for (const [classification, who, kind, redact] of cases) {
      const verdict = accessTo(source(classification), classification, who);
      assert.equal(verdict.kind, kind, `${classification} for ${JSON.stringify(who.user)}`);
      if (verdict.kind === 'visible') assert.equal(verdict.redactPersonalData, redact, classification);
    }
  });

  it('an agent entitled on its own account gives a user without the role nothing more', () => {
    const rules: SourceAccessRules = { ...source('confidential'), allow: { agents: ['bot-entitled'] } };
    assert.equal(accessTo(rules, 'confidential', reader({ agentId: 'bot-entitled' })).kind, 'visible');
    assert.equal(accessTo(rules, 'confidential', reader({ agentId: 'bot-entitled', user: { userId: 'u', roles: [] } })).kind, 'withheld');
  });

  it('the stricter classification wins; an unknown one counts as secret', () => {
    assert.equal(stricterClassification('confidential', 'internal'), 'confidential');
    assert.equal(stricterClassification('public', 'pii'), 'pii');
    assert.equal(stricterClassification('top-secret', 'public'), 'secret');
  });
});
