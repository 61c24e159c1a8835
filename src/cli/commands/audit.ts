import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { storeVerificationSource, verifyChain, type VerificationReport } from '../../audit/verify.js';
import { InterlockError } from '../../errors/interlock-error.js';
import { loadPublicKey } from '../../keys/keystore.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../output.js';
import { projectContext } from '../project-context.js';

/** Verifies the hash chain and signed checkpoints; prints OK or exactly which events were tampered. */
export async function auditVerify(options: { project: string; publicKey?: string[]; json?: boolean }): Promise<number> {
  const context = projectContext(options.project);
  const keyPaths =
    options.publicKey !== undefined && options.publicKey.length > 0 ? options.publicKey : [join(context.dataDir, 'keys', 'audit.pub.pem')];
  const keys: KeyObject[] = keyPaths.map((path) => {
    try {
      return loadPublicKey(path).publicKey;
    } catch {
      throw new InterlockError(
        'REQUEST_INVALID',
        `audit public key ${path} cannot be read (start the server once to create it, or pass --public-key)`,
      );
    }
  });
  const store = await context.openStore();
  let report: VerificationReport;
  try {
    report = await verifyChain(storeVerificationSource(store), keys, { requireCheckpoint: true });
  } finally {
    await store.close();
  }
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(report));
  }
  return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

function formatReport(report: VerificationReport): string {
  const lines: string[] = [];
  const head = report.head === null ? 'empty chain' : `head seq ${report.head.seq} ${report.head.hash.slice(0, 16)}…`;
  if (report.ok) {
    lines.push(
      `OK: ${report.eventCount} events, ${head}; ${report.checkpoints.verified}/${report.checkpoints.total} signed checkpoints verified`,
    );
    if (report.unattestedEvents > 0)
      lines.push(`   ${report.unattestedEvents} event(s) after the last checkpoint are chained but not yet signed`);
  } else {
    lines.push(
      `TAMPERED: ${report.findings.length}${report.findingsTruncated ? '+' : ''} finding(s) in ${report.eventCount} events (${head})`,
    );
    for (const finding of report.findings)
      lines.push(
        `   ${finding.kind.toUpperCase()} seq ${finding.seq}${finding.eventId === null ? '' : ` (event ${finding.eventId})`}: ${finding.message}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
