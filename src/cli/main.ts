import { Command, InvalidArgumentError } from 'commander';
import { auditVerify } from './commands/audit.js';
import { init } from './commands/init.js';
import { policyCheck } from './commands/policy.js';
import { serve } from './commands/serve.js';
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
