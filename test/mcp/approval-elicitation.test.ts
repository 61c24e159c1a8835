/**
 * A call that needs approval over MCP: the result says it is pending and names the approval; a
 * client that supports elicitation is offered to wait, and the call runs once an approver (not the
 * user answering the elicitation) approves it. Declining to wait, or a client without
 * elicitation, leaves the pending answer; nothing runs without an approver.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createGatewayServer } from '../../src/mcp/gateway-server.js';
import { openRuntime, type Runtime } from '../../src/runtime/open-runtime.js';
import { copyRefundsExample, removeDirectory } from '../cli/interlock-process.js';
import { demoUserAssertion } from '../sdk/demo-user.js';

const FINANCE = { operatorId: 'fin-1', roles: ['finance-approver'], tenants: ['acme'] } as const;

describe('MCP: approvals', () => {
  const project = copyRefundsExample('mcp-approvals');
  let runtime: Runtime;
  let assertion: string;
  const executed: unknown[] = [];
  let sessions = 0;

  before(async () => {
    runtime = await openRuntime(project, { processMetrics: false, logLevel: 'silent' });
    runtime.registerHandler('refunds.create', (args) => {
      executed.push(args);
      return { refund_id: `r-${executed.length}`, status: 'issued' };
    });
    assertion = await demoUserAssertion(project, 'alice', ['support']);
  });
  after(async () => {
    await runtime.close();
    removeDirectory(project);
  });

  async function connect(onElicit?: (message: string) => Promise<{ action: 'accept' | 'decline'; content?: { wait: boolean } }>) {
    sessions += 1;
    const sessionId = `mcp-approvals-${sessions}`;
    const server = createGatewayServer(runtime.gatewayServices(), {
      agentId: 'support-bot',
      tenant: 'acme',
      sessionId,
      credential: () => ({ kind: 'in_process', agentId: 'support-bot' }),
      actingFor: () => assertion,
    });
    const client = new Client({ name: 'test', version: '1' }, { capabilities: onElicit === undefined ? {} : { elicitation: {} } });
    if (onElicit !== undefined) client.setRequestHandler(ElicitRequestSchema, (request) => onElicit(request.params.message));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    return { client, close: () => client.close() };
  }

  const refund = (amount: number) => ({
    name: 'refunds__create',
    arguments: { order_id: 'o-1001', amount_cents: amount, reason: 'lost parcel' },
  });

  test('without elicitation the call answers pending with the approval id, and a retry runs it once approved', async () => {
    const { client, close } = await connect();
    try {
      const before = executed.length;
      const first = (await client.callTool(refund(12_000))) as CallToolResult;
      assert.equal(first.isError, true);
      assert.equal(first._meta?.['interlock/status'], 'approval_required');
      const approvalId = first._meta?.['interlock/approvalId'];
      assert.equal(typeof approvalId, 'string');
      assert.match(JSON.stringify(first.content), new RegExp(String(approvalId)));
      assert.equal(executed.length, before, 'nothing ran before approval');

      // Retrying while pending returns the same request, not a new one.
      const again = (await client.callTool(refund(12_000))) as CallToolResult;
      assert.equal(again._meta?.['interlock/approvalId'], approvalId);

      await runtime.approvals.decide(String(approvalId), FINANCE, 'approve', 'checked the parcel claim');
      const done = (await client.callTool(refund(12_000))) as CallToolResult;
      assert.equal(done.isError, undefined);
      assert.equal(done._meta?.['interlock/status'], 'executed');
      assert.equal(executed.length, before + 1);

      // The same call in the same session is the same write: it is answered, not run again.
      const replay = (await client.callTool(refund(12_000))) as CallToolResult;
      assert.equal(replay._meta?.['interlock/replayed'], true);
      assert.equal(executed.length, before + 1);
    } finally {
      await close();
    }
  });

  test('a client with elicitation can wait; the call runs when an approver approves, not when the user answers', async () => {
    let elicited = '';
    const { client, close } = await connect(async (message) => {
      elicited = message;
      // The approver decides a moment after the user chose to wait.
      const pending = await runtime.approvals.list({ tenants: ['acme'], status: 'pending', limit: 10 });
      const request = pending.find((view) => view.details.arguments !== null && JSON.stringify(view.details.arguments).includes('13000'));
      assert.ok(request !== undefined, 'the approval request exists while the user is asked');
      setTimeout(() => void runtime.approvals.decide(request.id, FINANCE, 'approve', 'ok'), 300);
      return { action: 'accept', content: { wait: true } };
    });
    try {
      const before = executed.length;
      const result = (await client.callTool(refund(13_000))) as CallToolResult;
      assert.match(elicited, /finance-approver/);
      assert.match(elicited, /approves nothing/);
      assert.equal(result._meta?.['interlock/status'], 'executed');
      assert.equal(executed.length, before + 1);
    } finally {
      await close();
    }
  });

  test('declining to wait leaves the call pending, and a denial ends it as denied without running', async () => {
    const { client, close } = await connect(async () => ({ action: 'decline' }));
    try {
      const before = executed.length;
      const first = (await client.callTool(refund(14_000))) as CallToolResult;
      assert.equal(first._meta?.['interlock/status'], 'approval_required');
      const approvalId = String(first._meta?.['interlock/approvalId']);
      await assert.rejects(
        runtime.approvals.decide(approvalId, { operatorId: 'support-lead', roles: ['support'], tenants: ['acme'] }, 'approve', ''),
        (error: Error & { code?: string }) => error.code === 'APPROVER_NOT_ALLOWED',
      );
      await runtime.approvals.decide(approvalId, FINANCE, 'deny', 'no proof of loss');
      const second = (await client.callTool(refund(14_000))) as CallToolResult;
      assert.equal(second._meta?.['interlock/status'], 'denied');
      assert.equal(second._meta?.['interlock/code'], 'APPROVAL_DENIED');
      assert.equal(executed.length, before);
    } finally {
      await close();
    }
  });
});
