import { Command, InvalidArgumentError, Option } from 'commander';
import { APPROVAL_STATUS_CHOICES, approvalsDecide, approvalsList, approvalsShow } from './commands/approvals.js';
import { auditVerify } from './commands/audit.js';
import { kill, mode, MODE_CHOICES, unkill, type KillOptions, type ModeOptions, type UnkillOptions } from './commands/containment.js';
import { callsResolve, callsUnresolved, RESOLUTION_CHOICES, type CallsResolveOptions } from './commands/calls.js';
import { init } from './commands/init.js';
import { planExecute, planPropose, planShow } from './commands/plans.js';
import { policyCheck } from './commands/policy.js';
import { rollback, type RollbackCommandOptions } from './commands/rollback.js';
import { serve } from './commands/serve.js';
import { sourcesIngest, sourcesInfluence, sourcesList, sourcesQuarantine, sourcesRelease } from './commands/sources.js';
import { mcpStdio } from './commands/mcp.js';
import { mintAgentToken, mintOperatorToken, revoke } from './commands/tokens.js';
import { toolsDiff, toolsPin, toolsStatus, toolsUnpin } from './commands/tools.js';
import { assertUser, type AssertUserOptions } from './commands/users.js';
import { EXIT_OK, EXIT_USAGE, printError } from './output.js';

const PROJECT_HELP = 'project directory or its interlock.yaml';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return parsed;
}

function approvalLimit(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 500) throw new InvalidArgumentError('expected a whole number 1-500');
  return parsed;
}

/** Runs a command body and turns typed errors into a message on stderr and an exit code. */
function run(body: () => Promise<number | void> | number | void): () => Promise<void> {
  return async () => {
    try {
      const code = await body();
      process.exitCode = typeof code === 'number' ? code : EXIT_OK;
    } catch (error) {
      process.exitCode = printError(error);
    }
  };
}

export function buildProgram(): Command {
  const program = new Command();
  // Usage mistakes (unknown command, missing option, bad value) exit 2, never 1 ("a check failed").
  program.exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT_OK : EXIT_USAGE));
  program
    .name('interlock')
    .description(
      'Runtime control plane for AI agents that act: every tool call authenticated, decided by policy, bounded, executed and recorded as verifiable evidence.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Start here:
  interlock init my-project                       scaffold a working project
  interlock policy test --project my-project      run the policy test cases
  interlock serve --project my-project            start the HTTP API (and the MCP gateway at /mcp) on embedded storage
  interlock mcp --project my-project --agent ID   the MCP gateway over stdio, for clients that launch a command
  interlock agents token --project my-project --agent assistant

Exit codes: 0 success, 1 a check failed (tests, tampering), 2 usage or configuration error.`,
    );

  program
    .command('init')
    .description('scaffold a project: interlock.yaml, handlers, a policy bundle and its tests')
    .argument('[directory]', 'where to create it', '.')
    .option('--force', 'overwrite an existing interlock.yaml')
    .action((directory: string, options: { force?: boolean }) => run(() => init(directory, options))());

  program
    .command('serve')
    .description('start the HTTP API (POST /v1/calls, /v1/audit, /v1/traces/:id, /metrics, /openapi.json)')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--port <port>', 'listen port (overrides server.port)', port)
    .option('--host <host>', 'listen address (overrides server.host)')
    .action((options: { project: string; port?: number; host?: string }) =>
      serve(options).catch((error: unknown) => {
        process.exitCode = printError(error);
      }),
    );

  program
    .command('mcp')
    .description('the MCP gateway over stdio, as one configured agent (for MCP clients that launch a command)')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .requiredOption('--agent <id>', 'the configured agent this client acts as')
    .addHelpText(
      'after',
      `
stdout carries MCP messages only; logs go to stderr. Set INTERLOCK_ACTING_FOR to a user assertion
to act for a signed-in user for the whole session (a call's _meta "interlock/actingFor" wins).`,
    )
    .action((options: { project: string; agent: string }) =>
      mcpStdio(options).catch((error: unknown) => {
        process.exitCode = printError(error);
      }),
    );

  const policy = program.command('policy').description('validate and test the policy bundle');
  policy
    .command('validate')
    .description('parse and validate every policy against the Cedar schema generated from the tool registry')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .action((options: { project: string }) => run(() => policyCheck(options.project, 'validate'))());
  policy
    .command('test')
    .description('run the test cases (*.test.yaml) that ship beside the policies')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .action((options: { project: string }) => run(() => policyCheck(options.project, 'test'))());

  const audit = program.command('audit').description('prove what happened');
  audit
    .command('verify')
    .description('verify the hash chain and signed checkpoints; names every modified, removed, inserted or reordered event')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--public-key <path...>', 'audit public key(s) (PEM); default: <dataDir>/keys/audit.pub.pem')
    .option('--json', 'print the full report as JSON')
    .action((options: { project: string; publicKey?: string[]; json?: boolean }) => run(() => auditVerify(options))());

  const tools = program.command('tools').description('review and approve the tool definitions MCP servers offer (the tool lock)');
  tools
    .command('status')
    .description('connect to every configured MCP server and compare each tool it offers with its pin')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Per tool: pinned (offered as approved), CHANGED (offered, but not as pinned: quarantined), not pinned
(hidden until pinned), missing (pinned, no longer offered), unverified (its server did not connect).
Instruction-like text in CHANGED and unpinned definitions is listed under the tool.
Exits 1 when a tool is CHANGED or missing or a server does not connect, so CI can gate on it.`,
    )
    .action((options: { project: string; json?: boolean }) => run(() => toolsStatus(options))());
  tools
    .command('diff')
    .description('show what changed in drifted tools since they were pinned')
    .argument('[name...]', 'namespaced tool names, e.g. fs__read_file (default: every CHANGED or missing tool)')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .addHelpText('after', '\nExits 1 when a tool shown is CHANGED or missing, or a server does not connect; 0 when nothing differs.')
    .action((names: string[], options: { project: string }) => run(() => toolsDiff({ ...options, names }))());
  tools
    .command('pin')
    .description('approve the definitions the MCP servers offer now, and write them to the tool lock')
    .argument('[name...]', 'namespaced tool names, e.g. fs__read_file')
    .option('--all', 'every tool that is not pinned or has CHANGED')
    .option('--server <name>', 'only tools of this MCP server')
    .option('--by <name>', 'who approves (recorded in the lock)', process.env['USER'] ?? 'operator')
    .option('--yes', 'also pin tools whose definitions contain instruction-like text')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .addHelpText(
      'after',
      `
A CHANGED tool's diff is printed before it is pinned. A definition with instruction-like text is
refused (exit 1, nothing pinned) unless --yes is given. A running Interlock uses the new pins after
SIGHUP or a restart.`,
    )
    .action((names: string[], options: { project: string; all?: boolean; server?: string; by: string; yes?: boolean }) =>
      run(() => toolsPin({ ...options, names }))(),
    );
  tools
    .command('unpin')
    .description('remove pins from the tool lock (the tools are hidden from agents after SIGHUP or a restart)')
    .argument('<name...>', 'namespaced tool names, e.g. fs__read_file')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .action((names: string[], options: { project: string }) => run(() => toolsUnpin({ ...options, names }))());

  program
    .command('rollback')
    .description('undo what agents did: the compensations of a trace, a session or an agent, newest first (a dry run unless --execute)')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--trace <id>', 'the writes of one trace')
    .option('--session <id>', 'the writes of one session')
    .option('--agent <id>', 'the writes of one agent (with --since)')
    .option('--since <time>', 'with --agent: an ISO time, or a duration back from now such as 30m, 2h, 1d')
    .option('--tenant <id>', "only this tenant's writes")
    .option('--execute', 'run the compensations through the kernel (default: only show the plan)')
    .option('--quarantine', 'with --execute: mark irreversible writes as quarantined, for review')
    .option('--by <name>', 'who runs the rollback (recorded)', process.env['USER'] ?? 'operator')
    .option('--reason <text>', 'why (recorded; required with --execute)')
    .option('--json', 'print the plan or the report as JSON')
    .addHelpText(
      'after',
      `
Each compensation is an ordinary governed call made as the original agent: policy decides it, it
is audited, and its idempotency key is compensation:<original call id>, so running the rollback
again (or after a crash) never compensates anything twice. It stops at the first compensation that
does not execute and leaves the rest pending. Writes without a compensation are listed as
IRREVERSIBLE. Exit codes: 0 done (or dry run), 1 a compensation did not execute, 2 usage.`,
    )
    .action((options: RollbackCommandOptions) => run(() => rollback(options))());

  const calls = program.command('calls').description('calls that need an operator');
  calls
    .command('unresolved')
    .description('writes whose outcome is unknown (timed out, or the process died mid-call); they are never run again under the same key')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--tenant <id>', "only this tenant's calls")
    .option('--json', 'print the list as JSON')
    .action((options: { project: string; tenant?: string; json?: boolean }) => run(() => callsUnresolved(options))());
  calls
    .command('resolve')
    .description('say whether a write whose outcome is unknown took effect: settle its key as executed, or free it as not_executed')
    .argument('[callId]', 'the call (see interlock calls unresolved); or name it with --key and --agent')
    .option('--key <key>', 'the idempotency key the call holds, instead of its id')
    .option('--agent <tenant/agent>', 'with --key: the agent holding it (a configured agent id alone also works)')
    .addOption(new Option('--as <resolution>', 'what the upstream shows').choices(RESOLUTION_CHOICES).makeOptionMandatory())
    .option('--reason <text>', 'what the upstream showed (required; recorded in the audit log)')
    .requiredOption('--by <operator>', 'a configured operator (interlock.yaml operators): its tenants bound what it may resolve')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the resolution as JSON')
    .addHelpText(
      'after',
      `
Examples:
  interlock calls resolve 0193a4c2-7f1e-7c3a-9d2b-5e8f1a6b4c0d --as executed --reason "refund re_812 exists at the provider" --by finance-lead
  interlock calls resolve --key refund-o-1001 --agent acme/support-bot --as not_executed --reason "no refund at the provider" --by finance-lead

executed: a retry with the same key answers executed (replayed, with who resolved it) and nothing
runs again. not_executed: the key is released and a retry with it runs the operation once. Only an
unknown outcome can be resolved, once (OUTCOME_NOT_UNKNOWN otherwise). The HTTP API offers the
same at POST /v1/calls/resolve.`,
    )
    .action((callId: string | undefined, options: Omit<CallsResolveOptions, 'callId'>) =>
      run(() => callsResolve({ ...options, ...(callId === undefined ? {} : { callId }) }))(),
    );

  const approvals = program
    .command('approvals')
    .description('approval requests: list, show, approve, deny (works on the store; no running server needed)')
    .addHelpText(
      'after',
      `
Examples:
  interlock approvals list --status pending
  interlock approvals show 0b6f3c1e-5d7a-4c8e-9a51-2f0e8d4b7c10
  interlock approvals approve 0b6f3c1e-5d7a-4c8e-9a51-2f0e8d4b7c10 --as finance-lead --comment "customer called"
  interlock approvals deny 0b6f3c1e-5d7a-4c8e-9a51-2f0e8d4b7c10 --as finance-lead --comment "not covered"

Once approved (by as many distinct role holders as the quorum asks), the agent's retry with the
same idempotency key runs the action once. The HTTP API offers the same at /v1/approvals.`,
    );
  approvals
    .command('list')
    .description('approval requests of every tenant, newest first')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .addOption(new Option('--status <status>', 'only requests in this status').choices(APPROVAL_STATUS_CHOICES))
    .option('--agent <id>', 'only requests of this agent')
    .option('--limit <n>', 'at most this many (1-500)', approvalLimit, 50)
    .option('--json', 'print the requests as JSON')
    .action((options: Parameters<typeof approvalsList>[0]) => run(() => approvalsList(options))());
  approvals
    .command('show')
    .description('one request: the action and its arguments (redacted), why it needs approval, evidence, dry run, votes')
    .argument('<id>', 'approval request id')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the request as JSON')
    .action((id: string, options: { project: string; json?: boolean }) => run(() => approvalsShow({ ...options, id }))());
  for (const decision of ['approve', 'deny'] as const) {
    approvals
      .command(decision)
      .description(
        decision === 'approve'
          ? 'approve a pending request: one vote towards its quorum'
          : 'deny a pending request: it ends as denied and the action never runs',
      )
      .argument('<id>', 'approval request id')
      .requiredOption(
        '--as <operator>',
        'a configured operator (interlock.yaml operators): its roles and tenants decide what it may decide',
      )
      .option('--comment <text>', 'recorded with the vote in the audit log')
      .option('-p, --project <path>', PROJECT_HELP, '.')
      .option('--json', 'print the request after the vote as JSON')
      .addHelpText(
        'after',
        `
The operator needs the role the policy named and a tenant of the request; the requesting agent and
the user it acts for cannot decide. A configured approvals.webhook hears of the decision (the
command waits up to 10s for the delivery). Exit 2 when the request is unknown, already closed, or
the operator may not decide it.`,
      )
      .action((id: string, options: { project: string; as: string; comment?: string; json?: boolean }) =>
        run(() => approvalsDecide(decision, id, options))(),
      );
  }

  const selectorHelp = {
    tenant: 'every agent of one tenant',
    agent: 'one agent, as TENANT/AGENT (a configured agent id alone also works)',
    tool: 'one tool, as TENANT/TOOL, or */TOOL in every tenant',
    operation: 'one operation, as TENANT/TOOL.OPERATION, or */TOOL.OPERATION in every tenant',
  };
  const by = process.env['USER'] ?? 'operator';
  program
    .command('kill')
    .description('stop tool execution for the fleet, a tenant, an agent, a tool or an operation, without a redeploy')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--fleet', 'every agent of every tenant')
    .option('--tenant <tenant>', selectorHelp.tenant)
    .option('--agent <tenant/agent>', selectorHelp.agent)
    .option('--tool <tenant/tool>', selectorHelp.tool)
    .option('--operation <tenant/tool.operation>', selectorHelp.operation)
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--by <name>', 'who is acting (recorded)', by)
    .option('--revoke', 'with --agent: also revoke every token the agent holds (stays revoked after unkill)')
    .option('--list', 'show the kill switches and modes in force instead of setting one')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  interlock kill --agent acme/support-bot --reason "refund loop, ticket 4711" --by dana
  interlock kill --agent acme/support-bot --revoke --reason "token leaked" --by dana
  interlock kill --tool '*/payments' --reason "provider incident" --by dana
  interlock kill --fleet --reason "incident 12" --by dana
  interlock kill --list
  interlock unkill --agent acme/support-bot --reason "fixed in 1.4.2" --by dana

The kill switch is written to the project's store and audited with --by and --reason. A running
interlock serve on that store refuses the next call with KILL_SWITCH_ACTIVE (replicas on PostgreSQL
hear it at once; every process also polls every containment.pollInterval, 250ms by default). Calls
already running finish or time out.`,
    )
    .action((options: KillOptions) => run(() => kill(options))());
  program
    .command('unkill')
    .description('lift the kill switch set on one fleet, tenant, agent, tool or operation')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--fleet', 'the fleet-wide kill switch')
    .option('--tenant <tenant>', selectorHelp.tenant)
    .option('--agent <tenant/agent>', selectorHelp.agent)
    .option('--tool <tenant/tool>', selectorHelp.tool)
    .option('--operation <tenant/tool.operation>', selectorHelp.operation)
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--by <name>', 'who is acting (recorded)', by)
    .option('--json', 'print what was lifted as JSON')
    .addHelpText(
      'after',
      `
Example:
  interlock unkill --agent acme/support-bot --reason "fixed in 1.4.2" --by dana

The selector must name the target exactly as it was killed (see interlock kill --list). Tokens
revoked with kill --revoke stay revoked: mint new ones.`,
    )
    .action((options: UnkillOptions) => run(() => unkill(options))());
  program
    .command('mode')
    .description('set the mode of a tenant, an agent or a session: normal, elevated, read_only or locked')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--tenant <tenant>', 'every session of one tenant')
    .option('--agent <tenant/agent>', 'every session of one agent (a configured agent id alone also works)')
    .option('--session <tenant/session>', 'one session, as TENANT/SESSION_ID')
    .addOption(new Option('--set <mode>', 'the mode to set').choices(MODE_CHOICES).makeOptionMandatory())
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--by <name>', 'who is acting (recorded)', by)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Modes: elevated makes every allowed write wait for approval (role approvals.elevatedRole);
read_only refuses writes (SESSION_READ_ONLY) and runs reads; locked refuses every call
(SESSION_LOCKED); normal lifts the mode set on that target. The most restrictive mode of the
call's tenant, agent and session applies.

Examples:
  interlock mode --agent acme/support-bot --set read_only --reason "injection spike" --by dana
  interlock mode --session acme/ticket-4711 --set locked --reason "suspicious transcript" --by dana
  interlock mode --agent acme/support-bot --set normal --reason "spike over" --by dana`,
    )
    .action((options: ModeOptions) => run(() => mode(options))());

  const plans = program.command('plans').description('two-phase plans: decide every step first, run them once approved');
  plans
    .command('propose')
    .description('decide every action in a file as an agent (approvals are requested, nothing runs) and store the plan')
    .requiredOption(
      '--file <path>',
      'JSON: a list of {tool, operation, arguments, idempotencyKey?, evidence?}, or {actions, traceId?, sessionId?}',
    )
    .requiredOption('-a, --agent <id>', 'the configured agent proposing the plan')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the plan as JSON')
    .addHelpText(
      'after',
      `
Caps apply to the plan as a whole: steps that are each allowed but together exceed a cap block it.
Set INTERLOCK_ACTING_FOR to a user assertion to act for a signed-in user (execute needs the same user).
Exit codes: 0 proposed, 1 blocked (a cap, a denied or refused step), 2 usage.`,
    )
    .action((options: { project: string; file: string; agent: string; json?: boolean }) => run(() => planPropose(options))());
  plans
    .command('show')
    .description('a stored plan: steps, decisions, approvals as they stand now, blast radius and outcomes')
    .argument('<id>', 'plan id')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the plan as JSON')
    .action((id: string, options: { project: string; json?: boolean }) => run(() => planShow(id, options))());
  plans
    .command('execute')
    .description('run a proposed plan once every approval is in: steps in order, stopping at the first that does not execute')
    .argument('<id>', 'plan id')
    .requiredOption('-a, --agent <id>', 'the agent that proposed the plan')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the plan (or the refusal) as JSON')
    .addHelpText(
      'after',
      `
Set INTERLOCK_ACTING_FOR as when the plan was proposed. Steps run under their idempotency keys, so
no step runs twice. Exit codes: 0 every step executed, 1 a step failed or the plan may not run
(PLAN_BLOCKED, PLAN_NOT_READY, PLAN_CLOSED), 2 usage.`,
    )
    .action((id: string, options: { project: string; agent: string; json?: boolean }) => run(() => planExecute(id, options))());

  const sources = program
    .command('sources')
    .description('retrieval sources: ingest documents, quarantine a source, see which actions it influenced')
    .addHelpText(
      'after',
      `
Sources are configured under retrieval.sources in interlock.yaml (owner, classification, trust,
freshness budget, allowed agents and tasks). These commands work on the store; no server needed.

Examples:
  interlock sources ingest --source runbooks --file docs/deploy.md --updated-at 2026-03-01
  interlock sources quarantine web-inbox --reason "poisoned page found in ticket 4711" --by dana
  interlock sources influence web-inbox`,
    );
  sources
    .command('list')
    .description('configured sources with their documents, chunks and quarantines')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the sources as JSON')
    .action((options: { project: string; json?: boolean }) => run(() => sourcesList(options))());
  sources
    .command('ingest')
    .description(
      "ingest a text file into a source: secrets removed, cut into chunks with provenance; replaces the document's earlier chunks",
    )
    .requiredOption('--source <id>', 'a source configured under retrieval.sources')
    .requiredOption('--file <path>', 'UTF-8 text (Markdown, plain text)')
    .option('--document <id>', 'document id (default: the file name)')
    .option('--version <version>', 'document version (default: sha256: and 16 hex digits of the text)')
    .option('--title <text>', 'title shown with citations (default: the document id)')
    .option('--updated-at <time>', 'when the content was last known current, ISO 8601 (default: now); freshness is measured from it')
    .option('--by <name>', 'who ingests (recorded)', process.env['USER'] ?? 'operator')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the report as JSON')
    .action((options: Parameters<typeof sourcesIngest>[0]) => run(() => sourcesIngest(options))());
  sources
    .command('quarantine')
    .description('quarantine a source: no retrieval returns its chunks until it is released')
    .argument('<id>', 'source id')
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--by <name>', 'who is acting (recorded)', process.env['USER'] ?? 'operator')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the source as JSON')
    .action((id: string, options: Parameters<typeof sourcesQuarantine>[1]) => run(() => sourcesQuarantine(id, options))());
  sources
    .command('release')
    .description('lift the quarantine of a source')
    .argument('<id>', 'source id')
    .option('--reason <text>', 'why (required; recorded in the audit log)')
    .option('--by <name>', 'who is acting (recorded)', process.env['USER'] ?? 'operator')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the result as JSON')
    .action((id: string, options: Parameters<typeof sourcesRelease>[1]) => run(() => sourcesRelease(id, options))());
  sources
    .command('influence')
    .description('which actions did this source influence? calls completed in traces that retrieved from it, after the retrieval')
    .argument('<id>', 'source id')
    .option('--limit <n>', 'at most this many calls (1-500)', approvalLimit, 100)
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--json', 'print the calls as JSON')
    .action((id: string, options: Parameters<typeof sourcesInfluence>[1]) => run(() => sourcesInfluence(id, options))());

  const agents = program.command('agents').description('agent credentials');
  agents
    .command('token')
    .description('mint a short-lived signed token (EdDSA) for one agent in one environment')
    .requiredOption('-a, --agent <id>', 'agent id from interlock.yaml')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--env <environment>', "environment (default: the agent's own)")
    .option('--ttl <duration>', 'lifetime, e.g. 15m (default identity.tokenTtl)')
    .option('--json', 'print token id, expiry and token as JSON')
    .action((options: { project: string; agent: string; env?: string; ttl?: string; json?: boolean }) =>
      run(() => mintAgentToken(options))(),
    );
  agents
    .command('revoke')
    .description('revoke one token, or every token of an agent; takes effect on the next call')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('-a, --agent <id>', 'revoke every token of this agent issued up to now')
    .option('--token <token>', 'revoke this one token')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--by <name>', 'who is revoking (recorded)', process.env['USER'] ?? 'operator')
    .action((options: { project: string; agent?: string; token?: string; reason: string; by: string }) => run(() => revoke(options))());

  program
    .command('operators')
    .description('operator credentials for reading evidence')
    .command('token')
    .description('mint a short-lived operator token for /v1/audit, /v1/traces and /v1/audit/verify')
    .requiredOption('-o, --operator <id>', 'operator id from interlock.yaml')
    .option('-p, --project <path>', PROJECT_HELP, '.')
    .option('--ttl <duration>', 'lifetime, e.g. 15m')
    .action((options: { project: string; operator: string; ttl?: string }) => run(() => mintOperatorToken(options))());

  program
    .command('users')
    .description('acting-for-user assertions (development helper)')
    .command('assert')
    .description("sign a user assertion with an issuer's private key (production assertions come from your identity provider)")
    .requiredOption('--key <path>', 'issuer private key (PEM)')
    .requiredOption('--issuer <iss>', 'issuer, as configured in identity.trustedIssuers[].issuer')
    .requiredOption('--user <id>', 'user id (sub)')
    .requiredOption('--tenant <id>', 'tenant of the user')
    .option('--roles <list>', 'comma-separated roles', '')
    .option('--audience <aud>', 'audience', 'interlock')
    .option('--agent <id>', 'bind the assertion to one agent (azp)')
    .option('--ttl <duration>', 'lifetime, e.g. 10m (at most 60m)', '10m')
    .action((options: AssertUserOptions) => run(() => assertUser(options))());

  return program;
}

await buildProgram().parseAsync(process.argv);
