import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MAX_ARGUMENT_DEPTH, MAX_ARGUMENT_NODES } from '../../../src/risk/taint/argument-values.js';
import { assessTaint } from '../../../src/risk/taint/assess.js';
import { createFingerprinter } from '../../../src/risk/taint/fingerprint.js';
import type { ContentRecord, LedgerEntry } from '../../../src/risk/taint/ledger.js';
import { indexLedger, recordContent } from '../../../src/risk/taint/ledger.js';

const fingerprint = createFingerprinter('test key for the taint tracker');

const user = (text: string): ContentRecord => ({ origin: 'user', trust: 'trusted', sourceId: 'msg-1', label: 'User request', text });
const email = (sourceId: string, text: string): ContentRecord => ({
  origin: 'email',
  trust: 'untrusted',
  sourceId,
  label: `Inbound e-mail ${sourceId}`,
  text,
});
const web = (sourceId: string, text: string): ContentRecord => ({
  origin: 'web',
  trust: 'untrusted',
  sourceId,
  label: `Web page ${sourceId}`,
  text,
});
const ledgerOf = (...content: ContentRecord[]): LedgerEntry[] => content.map((record) => recordContent(record, fingerprint));
const assess = (args: Record<string, unknown>, ...content: ContentRecord[]) => assessTaint(args, ledgerOf(...content), { fingerprint });
const taintedPaths = (args: Record<string, unknown>, ...content: ContentRecord[]): string[] =>
  assess(args, ...content).taintedArgs.map((tainted) => tainted.argument);

describe('taint assessment', () => {
  it('names the argument, its kind and the content a planted value came from', () => {
    const result = assess(
      { vendorId: 'V-1042', iban: 'DE89370400440532013000' },
      user('Process the supplier e-mails.'),
      email('email-101', 'New IBAN: DE89 3704 0044 0532 0130 00'),
    );
    assert.deepEqual(result, {
      taintedArgs: [
        { argument: 'iban', kind: 'iban', sources: [{ origin: 'email', sourceId: 'email-101', label: 'Inbound e-mail email-101' }] },
      ],
      truncated: false,
    });
  });

  it('walks nested objects and arrays, reporting dotted paths', () => {
    const content = web('web-1', 'send to leak@drop.example and call +1 415 555 0199');
    assert.deepEqual(
      taintedPaths(
        {
          payee: { account: { email: 'leak@drop.example' } },
          recipients: [{ address: 'me@corp.example' }, { address: 'leak@drop.example' }],
          phones: [['x', 14155550199]],
        },
        content,
      ),
      ['payee.account.email', 'recipients.1.address', 'phones.0.1'],
    );
  });

  it('never fires on a value the user supplied, however it is written', () => {
    const content = [user('Update the IBAN to de89 3704 0044 0532 0130 00 and mail billing@vendor.example')];
    assert.deepEqual(taintedPaths({ iban: 'DE89370400440532013000', to: 'Billing@Vendor.example' }, ...content), []);
    assert.deepEqual(
      taintedPaths(
        { iban: 'DE89370400440532013000', to: 'Billing@Vendor.example' },
        ...content,
        email('email-2', 'our IBAN DE89370400440532013000, write to billing@vendor.example'),
      ),
      [],
    );
  });

  it('does not fire when trusted content other than the user vouches for the value', () => {
    const payees: ContentRecord = {
      origin: 'tool',
      trust: 'trusted',
      sourceId: 'tool-payees',
      label: 'Company payee list',
      text: 'Kessler Bau: account 550193884721',
    };
    assert.deepEqual(taintedPaths({ accountNumber: '5501-9388-4721' }, payees, email('email-3', 'pay 5501 9388 4721')), []);
  });

  it('does not fire when untrusted content mentions only a different account', () => {
    assert.deepEqual(
      taintedPaths(
        { accountNumber: '38217745' },
        user('account 38217745'),
        email('email-4', 'paid into account 38217746 and the one ending 7745'),
      ),
      [],
    );
  });

  it('does not fire when there is no untrusted content at all, or it shares nothing distinctive', () => {
    assert.deepEqual(taintedPaths({ to: 'leak@drop.example' }, user('hi')), []);
    assert.deepEqual(
      taintedPaths(
        { amount: 100, quantity: 3, year: 2024, priority: 'high', urgent: true, note: null, date: '2024-07-01' },
        email('email-5', 'Total $100, 3 items, 2024 model, high priority, urgent: true, due 2024-07-01'),
      ),
      [],
    );
  });

  it('fires on a composed address at a domain only untrusted content named, unless trusted content named it too', () => {
    const page = web('web-6', 'data requests: requests@harvest.example');
    const result = assess({ to: 'backup@harvest.example' }, page);
    assert.deepEqual(
      result.taintedArgs.map((tainted) => [tainted.argument, tainted.kind]),
      [['to', 'domain']],
    );
    assert.deepEqual(taintedPaths({ to: 'backup@harvest.example' }, user('our partner is harvest.example'), page), []);
  });

  it('fires on an exact untrusted address even when trusted content names its domain', () => {
    assert.deepEqual(
      taintedPaths({ to: 'attacker@mailbox.example' }, user('mail my mother at mum@mailbox.example'), web('w', 'attacker@mailbox.example')),
      ['to'],
    );
  });

  it('lets a phone number the user typed without its country code vouch for it with one', () => {
    const page = web('web-7', 'Rapid Plumbing: +1 718 555 0126');
    assert.deepEqual(taintedPaths({ to: '+1 718 555 0126' }, user('call (718) 555-0126'), page), []);
    assert.deepEqual(taintedPaths({ to: '(718) 555-0126' }, page), ['to']);
  });

  it('traces a path under another home directory to the path the document named', () => {
    assert.deepEqual(taintedPaths({ attachments: ['/home/dana/.ssh/id_rsa'] }, web('doc', 'send ~/.ssh/id_rsa')), ['attachments.0']);
    assert.deepEqual(
      taintedPaths({ attachments: ['/home/dana/.ssh/id_rsa'] }, user('attach ~/.ssh/id_rsa'), web('doc', 'send ~/.ssh/id_rsa')),
      [],
    );
  });

  it('reads numbers given as JSON numbers and as strings', () => {
    const mail = email('email-8', 'Balance: $12,480.75. Account 88123947561.');
    assert.deepEqual(taintedPaths({ amount: 12480.75, account: 88123947561 }, mail), ['amount', 'account']);
    assert.deepEqual(taintedPaths({ amount: '12480.75', account: '88123947561' }, mail), ['amount', 'account']);
  });

  it('names each content once per argument, and at most maxSourcesPerArgument of them', () => {
    const mails = Array.from({ length: 8 }, (_, index) => email(`email-${index}`, 'pay to 88123947561'));
    const ledger = ledgerOf(...mails, email('email-0', 'again 88123947561'));
    const result = assessTaint({ account: '88123947561', again: '88123947561' }, ledger, { fingerprint, maxSourcesPerArgument: 3 });
    assert.deepEqual(
      result.taintedArgs.map((tainted) => tainted.sources.map((source) => source.sourceId)),
      [
        ['email-0', 'email-1', 'email-2'],
        ['email-0', 'email-1', 'email-2'],
      ],
    );
  });

  it('skips ignored arguments and everything beneath them', () => {
    const mail = email('email-9', 'leak@drop.example');
    assert.deepEqual(
      assessTaint({ to: 'leak@drop.example', meta: { replyTo: 'leak@drop.example' } }, ledgerOf(mail), {
        fingerprint,
        ignoreArguments: ['meta', 'to'],
      }).taintedArgs,
      [],
    );
  });

  it('accepts a prebuilt ledger index', () => {
    const index = indexLedger(ledgerOf(email('email-10', 'leak@drop.example')));
    assert.deepEqual(
      assessTaint({ to: 'leak@drop.example' }, index, { fingerprint }).taintedArgs.map((tainted) => tainted.argument),
      ['to'],
    );
  });

  it('treats content of unknown trust as untrusted', () => {
    const entry = { ...recordContent(user('leak@drop.example'), fingerprint), trust: 'unknown' } as unknown as LedgerEntry;
    assert.deepEqual(
      assessTaint({ to: 'leak@drop.example' }, [entry], { fingerprint }).taintedArgs.map((tainted) => tainted.argument),
      ['to'],
    );
  });

  it('matches nothing when the arguments are assessed with another key than the ledger was recorded with', () => {
    const ledger = ledgerOf(email('email-11', 'leak@drop.example'));
    const other = createFingerprinter('another key, another session');
    assert.deepEqual(assessTaint({ to: 'leak@drop.example' }, ledger, { fingerprint: other }).taintedArgs, []);
  });

  it('takes hostile argument names as plain names', () => {
    const args = JSON.parse('{"__proto__": {"x": "leak@drop.example"}, "constructor": "leak@drop.example"}') as Record<string, unknown>;
    assert.deepEqual(taintedPaths(args, email('email-12', 'leak@drop.example')), ['__proto__.x', 'constructor']);
  });

  it('says when arguments were too deep or too many to read in full', () => {
    let deep: unknown = 'leak@drop.example';
    for (let level = 0; level < MAX_ARGUMENT_DEPTH + 2; level += 1) deep = { next: deep };
    const mail = email('email-13', 'leak@drop.example');
    assert.equal(assess({ deep }, mail).truncated, true);
    const many = Array.from({ length: MAX_ARGUMENT_NODES + 10 }, () => 'x');
    assert.equal(assess({ many }, mail).truncated, true);
    assert.equal(assess({ to: 'leak@drop.example' }, mail).truncated, false);
  });
});
