import { compileInjectionRules, type InjectionRuleSet } from './rule-set.js';
import rulesV1 from './rules/injection-rules.v1.json' with { type: 'json' };

/** The bundled rules, compiled once when the module loads. A broken rules file fails at start-up, not per call. */
export const DEFAULT_INJECTION_RULES: InjectionRuleSet = compileInjectionRules(rulesV1);
