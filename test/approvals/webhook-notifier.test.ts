import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebhookNotifier, webhookRetryDelay, type WebhookNotifierOptions } from '../../src/approvals/webhook-notifier.js';
import { verifyWebhook } from '../../src/approvals/webhook-signature.js';
import { isInterlockError } from '../../src/errors/interlock-error.js';
import { startUpstream, type UpstreamRequest } from '../support/upstream.js';

const SECRET = 'webhook-signing-secret-8e1f3a';
const EVENT = { type: 'approval.requested', payload: { approvalId: 'apr_1', tool: 'payments.refund', approverRole: 'finance' } };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Outcome =
  | { kind: 'delivered'; deliveryId: string; type: string; attempts: number }
  | { kind: 'failed'; deliveryId: string; type: string; reason: string };

/** The notifier's callbacks, recorded; `next()` waits for the next outcome not yet taken. */
function recorder() {
  const outcomes: Outcome[] = [];
  const waiters: Array<() => void> = [];
  let taken = 0;
  const push = (outcome: Outcome) => {
    outcomes.push(outcome);
    for (const wake of waiters.splice(0)) wake();
  };
  return {
    outcomes,
    callbacks: {
      onDelivered: (deliveryId: string, type: string, attempts: number) => push({ kind: 'delivered', deliveryId, type, attempts }),
      onFailed: (deliveryId: string, type: string, reason: string) => push({ kind: 'failed', deliveryId, type, reason }),
    } satisfies Partial<WebhookNotifierOptions>,
    async next(): Promise<Outcome> {
      // The notifier's retry timers do not hold the process open (by design), so the test does.
      const keepAlive = setInterval(() => undefined, 1000);
      try {
        while (outcomes.length <= taken) await new Promise<void>((resolve) => waiters.push(resolve));
      } finally {
        clearInterval(keepAlive);
      }
      const outcome = outcomes[taken];
      taken += 1;
      assert.ok(outcome !== undefined);
      return outcome;
    },
  };
}

function header(request: UpstreamRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** A port that was just listening on 127.0.0.1 and no longer is: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** Pino writing JSON lines into an array, at debug level, to check what the notifier logs. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('webhook notifier', () => {
  test('a delivery arrives as signed JSON with its event, delivery id and content type', async (t) => {
    const upstream = await startUpstream((_request, response) => response.writeHead(204).end());
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({ url: `${upstream.baseUrl}/hooks/approvals`, secret: SECRET, ...record.callbacks });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.equal(outcome.kind, 'delivered');
    assert.equal(outcome.type, 'approval.requested');
    assert.equal(outcome.kind === 'delivered' && outcome.attempts, 1);

    assert.equal(upstream.requests.length, 1);
    const [request] = upstream.requests;
    assert.ok(request !== undefined);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/hooks/approvals');
    assert.equal(header(request, 'content-type'), 'application/json');
    assert.equal(header(request, 'Interlock-Event'), 'approval.requested');
    assert.equal(header(request, 'Interlock-Delivery'), outcome.deliveryId);
    assert.match(outcome.deliveryId, UUID);
    assert.equal(header(request, 'authorization'), undefined);

    const signature = header(request, 'Interlock-Signature');
    assert.match(signature ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhook(request.body, signature, SECRET), true);
    assert.equal(verifyWebhook(request.body, signature, 'not-the-secret'), false);
    assert.equal(verifyWebhook(request.body.replace('apr_1', 'apr_2'), signature, SECRET), false);

    const body = JSON.parse(request.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['at', 'data', 'deliveryId', 'schemaVersion', 'type']);
    assert.equal(body.schemaVersion, 1);
    assert.equal(body.type, 'approval.requested');
    assert.equal(body.deliveryId, outcome.deliveryId);
    assert.deepEqual(body.data, EVENT.payload);
    assert.equal(typeof body.at, 'string');
    assert.equal(new Date(body.at as string).toISOString(), body.at);
    assert.equal(notifier.pending, 0);
  });

  test('503 twice then 200: delivered on the third attempt, with one delivery id and body, each attempt signed', async (t) => {
    let answered = 0;
    const upstream = await startUpstream((_request, response) => {
      answered += 1;
      response.writeHead(answered <= 2 ? 503 : 200).end();
    });
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({ url: upstream.baseUrl, secret: SECRET, baseDelayMs: 5, maxDelayMs: 50, ...record.callbacks });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.deepEqual(outcome, { kind: 'delivered', deliveryId: outcome.deliveryId, type: 'approval.requested', attempts: 3 });
    assert.equal(upstream.requests.length, 3);
    for (const request of upstream.requests) {
      assert.equal(header(request, 'Interlock-Delivery'), outcome.deliveryId);
      assert.equal(request.body, upstream.requests[0]?.body);
      assert.equal(verifyWebhook(request.body, header(request, 'Interlock-Signature'), SECRET), true);
    }
    assert.equal(record.outcomes.length, 1);
  });

  test('429 and 500 are retried; a Retry-After longer than maxDelayMs is capped', async (t) => {
    const statuses = [429, 500, 200];
    const upstream = await startUpstream((_request, response) => {
      const status = statuses.shift() ?? 200;
      // Were the hour honoured, the test would time out instead of passing.
      response.writeHead(status, status === 429 ? { 'retry-after': '3600' } : {}).end();
    });
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({ url: upstream.baseUrl, secret: SECRET, baseDelayMs: 5, maxDelayMs: 20, ...record.callbacks });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.equal(outcome.kind, 'delivered');
    assert.equal(outcome.kind === 'delivered' && outcome.attempts, 3);
  });

  test('a numeric Retry-After is waited for even when the backoff would retry at once', async (t) => {
    const arrivals: number[] = [];
    const upstream = await startUpstream((_request, response) => {
      arrivals.push(performance.now());
      response.writeHead(arrivals.length === 1 ? 503 : 200, { 'retry-after': '1' }).end();
    });
    t.after(() => upstream.close());
    const record = recorder();
    // random() = 0 makes every backoff delay zero: only Retry-After can hold the retry back.
    const notifier = new WebhookNotifier({ url: upstream.baseUrl, secret: SECRET, baseDelayMs: 5, random: () => 0, ...record.callbacks });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    assert.equal((await record.next()).kind, 'delivered');
    const [first, second] = arrivals;
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(second - first >= 950, `retried after ${Math.round(second - first)} ms, before the 1 s asked for`);
  });

  test('400 is a permanent failure: one attempt, then onFailed naming the status and the origin', async (t) => {
    const upstream = await startUpstream((_request, response) => response.writeHead(400).end('{"error":"bad"}'));
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({ url: `${upstream.baseUrl}/hook`, secret: SECRET, baseDelayMs: 5, ...record.callbacks });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.deepEqual(outcome, {
      kind: 'failed',
      deliveryId: header(upstream.requests[0] as UpstreamRequest, 'Interlock-Delivery'),
      type: 'approval.requested',
      reason: `HTTP 400 from ${upstream.baseUrl}`,
    });
    assert.equal(notifier.pending, 0, 'nothing is left to retry');
    assert.equal(upstream.requests.length, 1);
  });

  test('a redirect is not followed and not retried', async (t) => {
    const elsewhere = await startUpstream((_request, response) => response.writeHead(200).end());
    t.after(() => elsewhere.close());
    const upstream = await startUpstream((_request, response) => response.writeHead(307, { location: `${elsewhere.baseUrl}/` }).end());
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({ url: upstream.baseUrl, secret: SECRET, baseDelayMs: 5, ...record.callbacks });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.equal(outcome.kind === 'failed' && outcome.reason, `HTTP 307 from ${upstream.baseUrl}`);
    assert.equal(upstream.requests.length, 1);
    assert.equal(elsewhere.requests.length, 0);
  });

  test('a receiver that is down is retried until maxAttempts, then onFailed', async (t) => {
    const port = await closedPort();
    let attempts = 0;
    const record = recorder();
    const notifier = new WebhookNotifier({
      url: `http://127.0.0.1:${port}/hook`,
      secret: SECRET,
      maxAttempts: 4,
      baseDelayMs: 5,
      fetch: (input, init) => {
        attempts += 1;
        return fetch(input, init);
      },
      ...record.callbacks,
    });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.equal(outcome.kind, 'failed');
    assert.equal(
      outcome.kind === 'failed' && outcome.reason,
      `gave up after 4 attempts: could not reach http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    assert.equal(attempts, 4);
    assert.equal(notifier.pending, 0);
  });

  test('a receiver that never answers times out on each attempt', async (t) => {
    const upstream = await startUpstream(() => undefined);
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({
      url: upstream.baseUrl,
      secret: SECRET,
      maxAttempts: 2,
      baseDelayMs: 5,
      timeoutMs: 100,
      ...record.callbacks,
    });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.equal(outcome.kind === 'failed' && outcome.reason, `gave up after 2 attempts: no answer within 100 ms from ${upstream.baseUrl}`);
    assert.equal(upstream.requests.length, 2);
    assert.equal(header(upstream.requests[0] as UpstreamRequest, 'Interlock-Delivery'), outcome.deliveryId);
    assert.equal(header(upstream.requests[1] as UpstreamRequest, 'Interlock-Delivery'), outcome.deliveryId);
  });

  test('URL credentials are sent as Basic authorization; reasons and logs name only the origin; the secret appears nowhere', async (t) => {
    const upstream = await startUpstream((_request, response) => response.writeHead(503).end());
    t.after(() => upstream.close());
    const record = recorder();
    const log = capturedLogger();
    const url = upstream.baseUrl.replace('http://', 'http://hook-user:p%40ss-4a7c@') + '/hook?token=query-token-91b2';
    const notifier = new WebhookNotifier({ url, secret: SECRET, maxAttempts: 2, baseDelayMs: 5, logger: log.logger, ...record.callbacks });
    t.after(() => notifier.close());
    assert.equal(notifier.origin, upstream.baseUrl);

    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.equal(outcome.kind === 'failed' && outcome.reason, `gave up after 2 attempts: HTTP 503 from ${upstream.baseUrl}`);
    const [request] = upstream.requests;
    assert.ok(request !== undefined);
    assert.equal(request.path, '/hook?token=query-token-91b2');
    assert.equal(header(request, 'authorization'), `Basic ${Buffer.from('hook-user:p@ss-4a7c').toString('base64')}`);

    assert.ok(log.lines.length >= 2, 'the retry and the failure are logged');
    const seen = [...log.lines, JSON.stringify(record.outcomes)].join('\n');
    assert.ok(seen.includes(upstream.baseUrl));
    for (const secret of [SECRET, 'p%40ss-4a7c', 'p@ss-4a7c', 'hook-user', 'query-token-91b2', '/hook']) {
      assert.ok(!seen.includes(secret), `${secret} leaked into a reason or a log line`);
    }
  });

  test('beyond maxQueued, the oldest queued delivery is dropped with "queue full"; the one in flight is kept', async (t) => {
    const held: ServerResponse[] = [];
    const upstream = await startUpstream((_request, response) => {
      held.push(response);
    });
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({ url: upstream.baseUrl, secret: SECRET, maxQueued: 2, maxConcurrent: 1, ...record.callbacks });
    t.after(() => notifier.close());

    notifier.notify({ type: 'approval.requested', payload: { n: 1 } });
    await until(() => held.length === 1);
    notifier.notify({ type: 'approval.requested', payload: { n: 2 } });
    notifier.notify({ type: 'approval.requested', payload: { n: 3 } });
    notifier.notify({ type: 'approval.requested', payload: { n: 4 } });
    const dropped = await record.next();
    assert.equal(dropped.kind === 'failed' && dropped.reason, 'queue full');
    assert.equal(notifier.pending, 3);

    // One at a time: release each held request as it arrives.
    let released = 0;
    while (released < 3) {
      await until(() => held.length > released);
      held[released]?.writeHead(200).end();
      released += 1;
    }
    const delivered = [await record.next(), await record.next(), await record.next()];
    assert.deepEqual(
      delivered.map((outcome) => outcome.kind),
      ['delivered', 'delivered', 'delivered'],
    );
    const numbers = upstream.requests.map((request) => (JSON.parse(request.body) as { data: { n: number } }).data.n);
    assert.deepEqual(numbers, [1, 3, 4]);
    assert.ok(!delivered.some((outcome) => outcome.deliveryId === dropped.deliveryId));
  });

  test('notify never throws: bad events are reported through onFailed and later events still go out', async (t) => {
    const upstream = await startUpstream((_request, response) => response.writeHead(200).end());
    t.after(() => upstream.close());
    const record = recorder();
    const notifier = new WebhookNotifier({ url: upstream.baseUrl, secret: SECRET, ...record.callbacks });
    t.after(() => notifier.close());

    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    notifier.notify({ type: 'approval.requested', payload: cyclic });
    notifier.notify({ type: 'approval.requested', payload: { amount: 10n } });
    notifier.notify({ type: 'approval requested\r\nX-Injected: 1', payload: {} });
    notifier.notify({ type: 'approval.requested', payload: { blob: 'x'.repeat(300 * 1024) } });
    notifier.notify(EVENT);

    const outcomes = [await record.next(), await record.next(), await record.next(), await record.next(), await record.next()];
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.kind === 'failed' ? outcome.reason : outcome.kind)),
      ['payload not serialisable', 'payload not serialisable', 'invalid event type', 'payload larger than 262144 bytes', 'delivered'],
    );
    assert.equal(upstream.requests.length, 1);
  });

  test('a callback that throws is logged, and deliveries go on', async (t) => {
    const upstream = await startUpstream((_request, response) => response.writeHead(200).end());
    t.after(() => upstream.close());
    const log = capturedLogger();
    let delivered = 0;
    const notifier = new WebhookNotifier({
      url: upstream.baseUrl,
      secret: SECRET,
      logger: log.logger,
      onDelivered: () => {
        delivered += 1;
        throw new Error('receiver bookkeeping failed');
      },
    });
    t.after(() => notifier.close());

    notifier.notify(EVENT);
    await until(() => delivered === 1);
    notifier.notify(EVENT);
    await until(() => delivered === 2);
    assert.equal(log.lines.filter((line) => line.includes('webhook callback threw')).length, 2);
  });

  test('close() with nothing pending resolves; afterwards notify reports "notifier closed"', async () => {
    const record = recorder();
    const notifier = new WebhookNotifier({ url: 'http://127.0.0.1:9/unused', secret: SECRET, ...record.callbacks });
    await notifier.close();
    assert.equal(notifier.pending, 0);
    notifier.notify(EVENT);
    const outcome = await record.next();
    assert.equal(outcome.kind === 'failed' && outcome.reason, 'notifier closed');
    await notifier.close();
  });

  test('close() cancels deliveries waiting to retry and waits for the one in flight', async (t) => {
    const held: ServerResponse[] = [];
    const upstream = await startUpstream((request, response) => {
      if ((JSON.parse(request.body) as { data: { n: number } }).data.n === 1) response.writeHead(503).end();
      else held.push(response);
    });
    t.after(() => upstream.close());
    const record = recorder();
    // random() = 1 draws the full ceiling: the first delivery waits a minute before its retry.
    const notifier = new WebhookNotifier({
      url: upstream.baseUrl,
      secret: SECRET,
      baseDelayMs: 60_000,
      random: () => 1,
      ...record.callbacks,
    });

    notifier.notify({ type: 'approval.requested', payload: { n: 1 } });
    await until(() => upstream.requests.length === 1);
    notifier.notify({ type: 'approval.requested', payload: { n: 2 } });
    await until(() => held.length === 1);
    assert.equal(notifier.pending, 2);

    let closed = false;
    const closing = notifier.close().then(() => {
      closed = true;
    });
    const cancelled = await record.next();
    assert.equal(cancelled.kind === 'failed' && cancelled.reason, 'notifier closed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(closed, false, 'close() waits for the attempt in flight');

    held[0]?.writeHead(200).end();
    await closing;
    const finished = record.outcomes[1];
    assert.equal(finished?.kind, 'delivered', 'the attempt in flight finished before close() resolved');
    assert.equal(notifier.pending, 0);
    assert.equal(upstream.requests.length, 2, 'the cancelled retry never ran');
  });

  test('a notifier with a retry pending does not keep the process alive', async () => {
    const port = await closedPort();
    const module = fileURLToPath(new URL('../../src/approvals/webhook-notifier.ts', import.meta.url));
    const script = [
      `const { WebhookNotifier } = await import(${JSON.stringify(module)});`,
      `const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));`,
      `let attempted = false;`,
      `const notifier = new WebhookNotifier({ url: 'http://127.0.0.1:${port}/', secret: 's', baseDelayMs: 600000, maxDelayMs: 600000,`,
      `  random: () => 1, fetch: (input, init) => fetch(input, init).finally(() => { attempted = true; }),`,
      `  onFailed: () => console.log('failed') });`,
      `notifier.notify({ type: 'approval.requested', payload: {} });`,
      `while (!attempted) await sleep(5);`,
      `await sleep(50);`,
      `console.log('pending', notifier.pending);`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    clearTimeout(killer);
    assert.equal(signal, null, `the process had to be killed; output: ${output}`);
    assert.equal(code, 0, output);
    assert.match(output, /pending 1/);
    assert.doesNotMatch(output, /failed/);
  });

  test('the constructor refuses bad options without echoing the URL', () => {
    const cases: Array<[Partial<WebhookNotifierOptions>, RegExp]> = [
      [{ url: 'not a url with hunter2' }, /not a valid absolute URL/],
      [{ url: 'ftp://user:hunter2@example.com/' }, /http or https/],
      [{ secret: '' }, /secret must not be empty/],
      [{ maxAttempts: 0 }, /maxAttempts/],
      [{ baseDelayMs: -1 }, /baseDelayMs/],
      [{ timeoutMs: 1.5 }, /timeoutMs/],
      [{ maxQueued: 0 }, /maxQueued/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => new WebhookNotifier({ url: 'https://user:hunter2@example.com/hook?key=hunter2', secret: SECRET, ...options }),
        (error: unknown) =>
          isInterlockError(error) &&
          error.code === 'CONFIG_INVALID' &&
          message.test(error.message) &&
          !error.message.includes('hunter2') &&
          !error.message.includes(SECRET),
      );
    }
  });

  test('retry delays: full jitter under a ceiling that doubles from baseDelayMs up to maxDelayMs', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((failed) => webhookRetryDelay(failed, 500, 6000, () => 1)),
      [500, 1000, 2000, 4000, 6000, 6000],
    );
    assert.deepEqual(
      [1, 2, 3].map((failed) => webhookRetryDelay(failed, 500, 6000, () => 0)),
      [0, 0, 0],
    );
    assert.equal(
      webhookRetryDelay(3, 500, 6000, () => 0.5),
      1000,
    );
    assert.equal(
      webhookRetryDelay(200, 500, 60_000, () => 0.25),
      15_000,
    );
    assert.equal(
      webhookRetryDelay(2, 500, 6000, () => Number.NaN),
      1000,
      'a broken random source falls back to the ceiling',
    );
  });
});
