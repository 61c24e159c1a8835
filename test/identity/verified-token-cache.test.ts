import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { TokenClaims } from '../../src/identity/token-claims.js';
import { VerifiedTokenCache } from '../../src/identity/verified-token-cache.js';

function claims(exp: number): TokenClaims {
  return {
    iss: 'interlock:p',
    aud: 'interlock:prod',
    jti: 'A'.repeat(22),
    iat: exp - 60,
    nbf: exp - 60,
    exp,
    env: 'prod',
    sub: 'bot',
    kind: 'agent',
    tenant: 'acme',
  };
}

describe('verified token cache', () => {
  it('keeps at most its capacity, dropping the least recently used first', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', claims(1000));
    cache.set('b', claims(1000));
    assert.ok(cache.get('a', 0));
    cache.set('c', claims(1000));
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b', 0), undefined);
    assert.ok(cache.get('a', 0));
    assert.ok(cache.get('c', 0));
  });

  it('forgets an entry once its token has expired', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('a', claims(1000));
    assert.ok(cache.get('a', 999.9));
    assert.equal(cache.get('a', 1000), undefined);
    assert.equal(cache.size, 0);
  });

  it('stores nothing with capacity 0', () => {
    const cache = new VerifiedTokenCache(0);
    cache.set('a', claims(1000));
    assert.equal(cache.size, 0);
  });
});
