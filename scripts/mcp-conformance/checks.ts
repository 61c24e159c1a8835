/** The suite's checks as recorded, and the checks Interlock adds where the suite's own accept any answer. */
import { EXPECTED_TEXT, UPSTREAM_OFFERS } from '../../test/support/mcp/conformance-upstream.js';
import { UPSTREAM_SERVER } from './project.js';

/** One check as the suite records it in `checks.json`. */
export interface Check {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** `SUCCESS`, `FAILURE`, `WARNING` or `INFO`. */
  readonly status: string;
  readonly errorMessage?: string;
  readonly details?: Record<string, unknown>;
}

export interface ScenarioResult {
  readonly scenario: string;
  /** The suite's checks, then Interlock's answer checks (ids starting `interlock-`). */
  readonly checks: readonly Check[];
}

/** The upstream alone; the gateway with `namespace: false`; the gateway with `server__tool` names. */
export type Target = 'upstream' | 'gateway' | 'gateway-namespaced';

/** The suite's rule: a scenario with a FAILURE or WARNING check has failed. */
export function scenarioFailed(result: ScenarioResult): boolean {
  return result.checks.some((check) => check.status === 'FAILURE' || check.status === 'WARNING');
}

/**
 * Some of the suite's checks accept any answer of the right shape: an empty tools/list or
 * prompts/list passes, a tool error text from Interlock satisfies `tools-call-simple-text` and
 * `tools-call-error`, and any 4xx satisfies the DNS-rebinding refusal. These checks also require
 * every tool, prompt and resource of the upstream to be listed (under the names the target
 * exposes), the upstream's own answers, and (through the gateway) a refusal for the Origin/Host,
 * so that no scenario passes on a refusal or an omission by Interlock.
 */
export function answerChecks(scenario: string, checks: readonly Check[], target: Target): Check[] {
  const prefix = target === 'gateway-namespaced' ? `${UPSTREAM_SERVER}__` : '';
  const result = (id: string): Record<string, unknown> | undefined => {
    const value = checks.find((check) => check.id === id)?.details?.['result'];
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  };
  const firstText = (answer: Record<string, unknown> | undefined): string | undefined => {
    const content = answer?.['content'];
    const first: unknown = Array.isArray(content) ? content[0] : undefined;
    const text = typeof first === 'object' && first !== null ? (first as Record<string, unknown>)['text'] : undefined;
    return typeof text === 'string' ? text : undefined;
  };
  const check = (id: string, description: string, ok: boolean, failure: string): Check => ({
    id,
    name: id,
    description,
    status: ok ? 'SUCCESS' : 'FAILURE',
    ...(ok ? {} : { errorMessage: failure }),
  });
  const listsAll = (checkId: string, detail: string, kind: string, wanted: readonly string[]): Check[] => {
    const value = checks.find((candidate) => candidate.id === checkId)?.details?.[detail];
    const listed = new Set(Array.isArray(value) ? value : []);
    const missing = wanted.filter((name) => !listed.has(name));
    return [
      check(
        `interlock-lists-every-${kind}`,
        `The list holds every ${kind} of the upstream`,
        missing.length === 0,
        `missing ${missing.length} of ${wanted.length}: ${missing.join(', ')}`,
      ),
    ];
  };
  switch (scenario) {
    case 'tools-list':
      return listsAll(
        'tools-list',
        'tools',
        'tool',
        UPSTREAM_OFFERS.tools.map((name) => prefix + name),
      );
    case 'prompts-list':
      return listsAll(
        'prompts-list',
        'prompts',
        'prompt',
        UPSTREAM_OFFERS.prompts.map((name) => prefix + name),
      );
    case 'resources-list':
      return listsAll('resources-list', 'resources', 'resource', UPSTREAM_OFFERS.resources);
    case 'tools-call-simple-text': {
      const answer = result('tools-call-simple-text');
      const text = firstText(answer);
      return [
        check(
          'interlock-upstream-text',
          "The tool result is the upstream's text, not an error from Interlock",
          answer !== undefined && answer['isError'] !== true && text === EXPECTED_TEXT.simpleText,
          `expected the upstream's text; got ${answer?.['isError'] === true ? 'an error result: ' : ''}${JSON.stringify(text ?? null)}`,
        ),
      ];
    }
    case 'tools-call-error': {
      const text = firstText(result('tools-call-error'));
      return [
        check(
          'interlock-upstream-error',
          "The error result is the upstream's tool error, not a refusal by Interlock",
          text === EXPECTED_TEXT.error,
          `expected the upstream's error text; got ${JSON.stringify(text ?? null)}`,
        ),
      ];
    }
    case 'dns-rebinding-protection': {
      if (target === 'upstream') return [];
      const details = checks.find((candidate) => candidate.id === 'localhost-host-rebinding-rejected')?.details;
      const body = details?.['body'] as { error?: { data?: { code?: unknown } } } | null | undefined;
      const code = body?.error?.data?.code;
      return [
        check(
          'interlock-rebinding-refused-for-origin',
          'The foreign Host/Origin request is refused because of its Origin/Host (ORIGIN_FORBIDDEN), not for lack of credentials',
          code === 'ORIGIN_FORBIDDEN',
          `expected error code ORIGIN_FORBIDDEN; got ${JSON.stringify(code ?? null)} (HTTP ${String(details?.['statusCode'])})`,
        ),
      ];
    }
    default:
      return [];
  }
}
