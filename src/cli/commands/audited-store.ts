import { AUDIT_SIGNING_KEY_NAME } from '../../audit/checkpoint.js';
import { AuditLog } from '../../audit/audit-log.js';
import type { AuditEventInput } from '../../audit/event.js';
import { loadOrCreateSigningKey } from '../../keys/keystore.js';
import { Redactor } from '../../redaction/redactor.js';
import type { Store } from '../../store/store.js';
import { projectContext, type ProjectContext } from '../project-context.js';

/** What a one-shot command that changes state records through: the project's own chain. */
export interface CommandAudit {
  record(input: AuditEventInput): string;
  flush(): Promise<void>;
}

export interface AuditedStore {
  readonly context: ProjectContext;
  readonly store: Store;
  readonly audit: CommandAudit;
}

/**
 * Opens the project's store directly (no server needed; a running one sees the changes through
 * the shared store) with an audit log on the same hash chain, runs `body`, then commits what it
 * recorded and signs the head, so a decision made here is attested at once. A command that
 * recorded nothing leaves no checkpoint behind.
 */
export async function withAuditedStore<T>(projectPath: string, body: (opened: AuditedStore) => Promise<T>): Promise<T> {
  const context = projectContext(projectPath);
  const { config } = context.project;
  const signingKey = loadOrCreateSigningKey(context.dataDir, AUDIT_SIGNING_KEY_NAME);
  const redactor = new Redactor({ fieldPaths: config.audit.redactFields });
  const store = await context.openStore();
  const log = new AuditLog({ store, redactor, mode: 'durable', signingKey });
  let recorded = 0;
  const audit: CommandAudit = {
    record(input) {
      recorded += 1;
      return log.record(input);
    },
    flush: () => log.flush(),
  };
  try {
    return await body({ context, store, audit });
  } finally {
    try {
      if (recorded > 0) await log.close();
    } finally {
      await store.close();
    }
  }
}
