import type { Effect } from '../config/schema.js';
import type { DerivedCall } from './derived-call.js';

export interface EntitySelector {
  readonly type: string;
  /** Parsed path segments; `*` walks an array. */
  readonly segments: readonly string[];
}

export type UpstreamBinding =
  | { readonly kind: 'in_process' }
  | {
      readonly kind: 'http';
      readonly baseUrl: string;
      /** Header name → secret reference; resolved only inside the execution adapter. */
      readonly headerRefs: Readonly<Record<string, string>>;
      readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      readonly pathTemplate: string;
    }
  | {
      /** A tool of an upstream MCP server: `server` is the configured name, `tool` the upstream's own name. */
      readonly kind: 'mcp';
      readonly server: string;
      readonly tool: string;
    };

/** Everything Interlock knows about one tool operation: the contract every call is held to. */
export interface OperationContract {
  readonly tool: string;
  readonly operation: string;
  /** `tool.operation`, used as the Cedar action id. */
  readonly qualifiedName: string;
  /** `tool__operation`: the name MCP clients see. */
  readonly mcpName: string;
  readonly description: string | undefined;
  readonly effect: Effect;
  readonly idempotent: boolean;
  readonly argumentsSchema: Readonly<Record<string, unknown>>;
  readonly entities: readonly EntitySelector[];
  readonly costUsd: number;
  readonly timeoutMs: number;
  /** Tenants allowed to use the tool; null means every tenant. */
  readonly tenants: readonly string[] | null;
  readonly upstream: UpstreamBinding;
  /** The operation that undoes this one, and how its arguments are derived; null when irreversible. */
  readonly compensation: DerivedCall | null;
  /** A read operation of the same tool previewing the change for approvers; null when none. */
  readonly dryRun: string | null;
  /** A read operation that resolves an unknown outcome; null when none. */
  readonly statusCheck: DerivedCall | null;
  /** Trust of what the operation returns when it enters a session. */
  readonly contentTrust: 'trusted' | 'untrusted';
  /** Whether calls must cite retrieved chunks of the same trace. */
  readonly citations: 'required' | 'optional';
}
