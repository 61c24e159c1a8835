import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadCorpus } from '../../../eval/injection/corpus.js';
import { isInterlockError } from '../../../src/errors/interlock-error.js';
import { DEFAULT_INJECTION_RULES } from '../../../src/risk/injection/default-rules.js';
import { createInjectionDetector } from '../../../src/risk/injection/detector.js';
import { compileInjectionRules, INJECTION_CATEGORIES } from '../../../src/risk/injection/rule-set.js';

const RULES_FILE = new URL('../../../src/risk/injection/rules/injection-rules.v1.json', import.meta.url);
const rulesData = (): Record<string, unknown> & { rules: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(RULES_FILE, 'utf8')) as Record<string, unknown> & { rules: Record<string, unknown>[] };

const detector = createInjectionDetector();
const ruleIdsFiring = (text: string): string[] => detector.detect(text).signals.map((signal) => signal.ruleId);

describe('each injection rule behaves on its own examples', () => {
  for (const rule of DEFAULT_INJECTION_RULES.rules) {
    it(`${rule.id} (v${rule.version}, ${rule.category})`, () => {
      for (const example of rule.examples.match) {
        assert.ok(ruleIdsFiring(example).includes(rule.id), `${rule.id} should fire on ${JSON.stringify(example)}`);
      }
      for (const example of rule.examples.noMatch) {
        assert.ok(!ruleIdsFiring(example).includes(rule.id), `${rule.id} should not fire on ${JSON.stringify(example)}`);
      }
    });
  }
});

describe('the bundled rules file', () => {
  it('covers every category the detector reports, each rule with a distinct id and a description', () => {
    const categories = new Set(DEFAULT_INJECTION_RULES.rules.map((rule) => rule.category));
    assert.deepEqual([...categories].sort(), [...INJECTION_CATEGORIES].sort());
    const ids = DEFAULT_INJECTION_RULES.rules.map((rule) => rule.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const rule of DEFAULT_INJECTION_RULES.rules) assert.ok(rule.description.length > 20, rule.id);
  });

  it('names its version and a digest of its content, which changes with any edit', () => {
    assert.equal(DEFAULT_INJECTION_RULES.rulesVersion, 'injection-rules/2');
    assert.match(DEFAULT_INJECTION_RULES.digest, /^[0-9a-f]{64}$/);
    const edited = rulesData();
    const first = edited.rules[0];
    assert.ok(first !== undefined);
    first['weight'] = 0.84;
    assert.notEqual(compileInjectionRules(edited).digest, DEFAULT_INJECTION_RULES.digest);
    assert.equal(compileInjectionRules(rulesData()).digest, DEFAULT_INJECTION_RULES.digest);
  });

  it('gives the same results with and without the keyword gate, on the whole corpus and every example', () => {
    // The gate skips a rule when none of its keywords occurs; a keyword list missing a word its patterns
    // can match would silently drop signals, which this comparison catches.
    const ungated = createInjectionDetector({ keywordGate: false });
    const texts = [
      ...loadCorpus().map((item) => item.text),
      ...DEFAULT_INJECTION_RULES.rules.flatMap((rule) => [...rule.examples.match, ...rule.examples.noMatch]),
    ];
    const differing = texts.filter((text) => JSON.stringify(detector.detect(text)) !== JSON.stringify(ungated.detect(text)));
    assert.deepEqual(
      differing.map((text) => text.slice(0, 80)),
      [],
    );
  });
});

describe('a rules file is validated before use', () => {
  const rejects = (mutate: (data: ReturnType<typeof rulesData>) => void, pattern: RegExp): void => {
    const data = rulesData();
    mutate(data);
    assert.throws(
      () => compileInjectionRules(data),
      (error: unknown) => isInterlockError(error) && error.code === 'CONFIG_INVALID' && pattern.test(error.message),
    );
  };
  const firstPatternRule = (data: ReturnType<typeof rulesData>): Record<string, unknown> & { patterns: string[] } => {
    const rule = data.rules.find((candidate) => candidate['kind'] === 'pattern');
    assert.ok(rule !== undefined);
    return rule as Record<string, unknown> & { patterns: string[] };
  };

  it('rejects an unknown schema version', () => {
    rejects((data) => {
      data['schemaVersion'] = 2;
    }, /schemaVersion 2 is not supported/);
  });

  it('rejects a duplicate rule id', () => {
    rejects((data) => {
      const [first] = data.rules;
      assert.ok(first !== undefined);
      data.rules.push({ ...first });
    }, /appears twice/);
  });

  it('rejects an unknown category, a weight outside (0, 1] and a rule without examples', () => {
    rejects((data) => {
      firstPatternRule(data)['category'] = 'vibes';
    }, /category/);
    rejects((data) => {
      firstPatternRule(data)['weight'] = 1.5;
    }, /weight/);
    rejects((data) => {
      firstPatternRule(data)['examples'] = { match: [], noMatch: ['x'] };
    }, /examples/);
  });

  it('rejects patterns that would not match lower-cased text, that repeat a group without bound, or that do not compile', () => {
    rejects((data) => {
      firstPatternRule(data).patterns = ['\\bIgnore\\b'];
    }, /lower case/);
    rejects((data) => {
      firstPatternRule(data).patterns = ['(?:a+)+b'];
    }, /without bound/);
    rejects((data) => {
      firstPatternRule(data).patterns = ['(?:unclosed'];
    }, /does not compile/);
  });

  it('rejects a discussion rule under another category, and unknown fields', () => {
    rejects((data) => {
      const discussion = data.rules.find((rule) => rule['kind'] === 'discussion');
      assert.ok(discussion !== undefined);
      discussion['category'] = 'secrecy';
    }, /discussion/);
    rejects((data) => {
      firstPatternRule(data)['severity'] = 'high';
    }, /./);
  });
});
