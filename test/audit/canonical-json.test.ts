import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { canonicalJson, CanonicalJsonError, type CanonicalJsonProblem } from '../../src/audit/canonical-json.js';
import { isInterlockError } from '../../src/errors/interlock-error.js';

/** RFC 8785 Appendix B: IEEE-754 bit patterns and their required serialisation. */
const RFC_NUMBER_SAMPLES: ReadonlyArray<readonly [string, string]> = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

function fromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

function problemOf(run: () => unknown): CanonicalJsonProblem {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CanonicalJsonError);
    assert.ok(isInterlockError(error));
    return error.problem;
  }
  assert.fail('expected a CanonicalJsonError');
}

describe('canonicalJson (RFC 8785)', () => {
  it('serialises the RFC number samples', () => {
    for (const [bits, expected] of RFC_NUMBER_SAMPLES) {
      assert.equal(canonicalJson(fromBits(bits)), expected, bits);
    }
  });

  it('serialises the boundary numbers named in the RFC text', () => {
    assert.equal(canonicalJson(1e21), '1e+21');
    assert.equal(canonicalJson(1e20), '100000000000000000000');
    assert.equal(canonicalJson(1e-7), '1e-7');
    assert.equal(canonicalJson(1e-6), '0.000001');
    assert.equal(canonicalJson(-0), '0');
    // The RFC's own input literal: it is meant to round to the nearest double.
    // eslint-disable-next-line no-loss-of-precision
    assert.equal(canonicalJson(333333333.33333329), '333333333.3333333');
  });

  it('produces the RFC section 3.2.2 example output', () => {
    const input = {
      // eslint-disable-next-line no-loss-of-precision
      numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
      string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
      literals: [null, true, false],
    };
    assert.equal(
      canonicalJson(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts member names by UTF-16 code units (RFC section 3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const names = Object.keys(JSON.parse(canonicalJson(input)) as object);
    // Integer-like keys would be re-ordered by JSON.parse, so check the text order directly too.
    const text = canonicalJson(input);
    const order = ['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((name) => text.indexOf(`"${name}":`));
    assert.deepEqual(
      [...order].sort((left, right) => left - right),
      order,
    );
    assert.ok(order.every((index) => index >= 0));
    assert.equal(names.length, 7);
    assert.equal(
      text,
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('uses no whitespace and nests recursively', () => {
    assert.equal(canonicalJson({ b: [1, { d: 2, c: 'x' }], a: {} }), '{"a":{},"b":[1,{"c":"x","d":2}]}');
    assert.equal(canonicalJson([]), '[]');
    assert.equal(canonicalJson('\u2028'), '"\u2028"');
    assert.equal(canonicalJson('\u001f\b\t\f'), '"\\u001f\\b\\t\\f"');
  });

  it('omits undefined members but rejects undefined elsewhere', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(
      problemOf(() => canonicalJson([1, undefined])),
      'undefined_value',
    );
    assert.equal(
      problemOf(() => canonicalJson(undefined)),
      'undefined_value',
    );
  });

  it('rejects values JSON cannot carry, with a typed error naming the path', () => {
    assert.equal(
      problemOf(() => canonicalJson({ a: Number.NaN })),
      'non_finite_number',
    );
    assert.equal(
      problemOf(() => canonicalJson([Infinity])),
      'non_finite_number',
    );
    assert.equal(
      problemOf(() => canonicalJson(-Infinity)),
      'non_finite_number',
    );
    assert.equal(
      problemOf(() => canonicalJson({ f: () => 1 })),
      'function_value',
    );
    assert.equal(
      problemOf(() => canonicalJson({ n: 10n })),
      'bigint_value',
    );
    assert.equal(
      problemOf(() => canonicalJson({ s: Symbol('x') })),
      'symbol_value',
    );
    assert.equal(
      problemOf(() => canonicalJson({ s: 'a\ud800b' })),
      'lone_surrogate',
    );
    assert.equal(
      problemOf(() => canonicalJson({ ['\udc00']: 1 })),
      'lone_surrogate',
    );
    try {
      canonicalJson({ outer: { inner: [0, Number.NaN] } });
      assert.fail('expected to throw');
    } catch (error) {
      assert.ok(error instanceof CanonicalJsonError);
      assert.equal(error.path, '$.outer.inner[1]');
      assert.equal(error.code, 'INTERNAL');
    }
  });

  it('rejects cycles but accepts shared references', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    assert.equal(
      problemOf(() => canonicalJson(cyclic)),
      'cyclic_structure',
    );
    const shared = { x: 1 };
    assert.equal(canonicalJson({ a: shared, b: [shared] }), '{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('refuses hostile nesting depth instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 10_000; level += 1) deep = [deep];
    assert.equal(
      problemOf(() => canonicalJson(deep)),
      'too_deep',
    );
  });

  it('serialises Dates through toJSON and round-trips its own output', () => {
    assert.equal(canonicalJson({ at: new Date('2024-01-02T03:04:05.678Z') }), '{"at":"2024-01-02T03:04:05.678Z"}');
    const text = canonicalJson({ z: [1.5, 'é', null], a: { '': true } });
    assert.equal(canonicalJson(JSON.parse(text)), text);
  });
});
