import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { validate } from '@cedar-policy/cedar-wasm/nodejs';
import { argumentsShape } from '../../src/policy/argument-shape.js';
import { UnrepresentableArgumentError, argumentsToCedar, decimalValue } from '../../src/policy/argument-values.js';
import { cedarSchemaText, generateCedarSchema } from '../../src/policy/cedar-schema.js';
import { Registry } from '../../src/registry/registry.js';
import { contract, supportRegistry } from './fixture-registry.js';

function validationErrors(registry: Registry, policy: string): string[] {
  const answer = validate({
    schema: generateCedarSchema(registry).json,
    policies: { staticPolicies: { p: policy } },
    validationSettings: { mode: 'strict' },
  });
  assert.equal(answer.type, 'success');
  return answer.type === 'success' ? answer.validationErrors.map((error) => error.error.message) : [];
}

describe('Cedar schema generated from the registry', () => {
  it('declares Agent, User and Tool with their attributes in the Interlock namespace', () => {
    const namespace = generateCedarSchema(supportRegistry()).json['Interlock'];
    assert.ok(namespace);
    assert.deepEqual(namespace.entityTypes['Agent'], {
      shape: {
        type: 'Record',
        attributes: { tenant: { type: 'String' }, environment: { type: 'String' }, stage: { type: 'String' }, owner: { type: 'String' } },
      },
    });
    assert.deepEqual(namespace.entityTypes['User'], {
      shape: { type: 'Record', attributes: { tenant: { type: 'String' }, roles: { type: 'Set', element: { type: 'String' } } } },
    });
    assert.deepEqual(namespace.entityTypes['Tool'], { shape: { type: 'Record', attributes: { name: { type: 'String' } } } });
  });

  it('declares one action per operation inside its effect group, for agents and users on tools', () => {
    const actions = generateCedarSchema(supportRegistry()).json['Interlock']?.actions ?? {};
    assert.deepEqual(Object.keys(actions).sort(), [
      'accounts.delete',
      'customers.export',
      'destructive',
      'email.send',
      'orders.lookup',
      'read',
      'refunds.create',
      'write',
    ]);
    assert.deepEqual(actions['refunds.create']?.memberOf, [{ id: 'write' }]);
    assert.deepEqual(actions['orders.lookup']?.memberOf, [{ id: 'read' }]);
    assert.deepEqual(actions['accounts.delete']?.memberOf, [{ id: 'destructive' }]);
    assert.deepEqual(actions['write'], {});
    assert.deepEqual(actions['refunds.create']?.appliesTo?.principalTypes, ['Agent', 'User']);
    assert.deepEqual(actions['refunds.create']?.appliesTo?.resourceTypes, ['Tool']);
  });

  it('types the context: arguments from JSON Schema, environment, tenant, delegation, entity count and risk', () => {
    const context = generateCedarSchema(supportRegistry()).json['Interlock']?.actions['refunds.create']?.appliesTo?.context;
    assert.deepEqual(context, {
      type: 'Record',
      attributes: {
        arguments: {
          type: 'Record',
          attributes: {
            amount: { type: 'Extension', name: 'decimal' },
            currency: { type: 'String' },
            items: {
              type: 'Set',
              element: { type: 'Record', attributes: { quantity: { type: 'Long', required: false }, sku: { type: 'String' } } },
              required: false,
            },
            note: { type: 'String', required: false },
            order_id: { type: 'String' },
          },
        },
        environment: { type: 'String' },
        tenant: { type: 'String' },
        actingForUser: { type: 'Boolean' },
        entityCount: { type: 'Long' },
        risk: {
          type: 'Record',
          attributes: {
            score: { type: 'Long' },
            taintedArgs: { type: 'Set', element: { type: 'String' } },
            tainted: { type: 'Boolean' },
            taintSources: { type: 'Set', element: { type: 'String' } },
            injectionScore: { type: 'Long' },
            signals: { type: 'Set', element: { type: 'String' } },
            repeats: { type: 'Long' },
            confidence: { type: 'Long' },
            citations: {
              type: 'Record',
              attributes: {
                cited: { type: 'Long' },
                valid: { type: 'Long' },
                stale: { type: 'Long' },
                quarantined: { type: 'Long' },
                unknown: { type: 'Long' },
              },
            },
          },
        },
      },
    });
  });

  it('leaves out what Cedar cannot type and says so', () => {
    const shape = argumentsShape({
      type: 'object',
      properties: {
        free: { type: 'object' },
        either: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        mixed: { enum: ['a', 1] },
        reference: { $ref: '#/definitions/x' },
        tuple: { type: 'array', items: [{ type: 'string' }] },
        multi: { type: ['string', 'integer'] },
        maybe: { type: ['string', 'null'] },
        levels: { enum: [1, 2, 3] },
        fixed: { const: 'yes' },
        nested: { type: 'object', properties: { ok: { type: 'boolean' }, blob: { type: 'object' } }, required: ['ok', 'blob'] },
      },
      required: ['free', 'maybe', 'levels'],
    });
    assert.deepEqual([...shape.omitted].sort(), ['either', 'free', 'mixed', 'multi', 'nested.blob', 'reference', 'tuple']);
    assert.deepEqual([...shape.shape.attributes.keys()].sort(), ['fixed', 'levels', 'maybe', 'nested']);
    // A nullable property is optional for Cedar even when required: a null is withheld.
    assert.equal(shape.shape.attributes.get('maybe')?.required, false);
    assert.deepEqual(shape.shape.attributes.get('levels'), { shape: { kind: 'long' }, required: true });
  });

  it('refuses a policy naming a missing argument, an optional argument without `has`, or a missing operation', () => {
    const registry = supportRegistry();
    const missing = validationErrors(
      registry,
      'permit(principal, action == Interlock::Action::"refunds.create", resource) when { context.arguments.amuont.greaterThan(decimal("1.0")) };',
    );
    assert.equal(missing.length, 1);
    assert.match(missing[0] ?? '', /attribute `arguments\.amuont` in context for Interlock::Action::"refunds\.create" not found/);

    const optional = validationErrors(
      registry,
      'permit(principal, action == Interlock::Action::"refunds.create", resource) when { context.arguments.note == "x" };',
    );
    assert.match(optional[0] ?? '', /optional attribute `arguments\.note`/);
    assert.deepEqual(
      validationErrors(
        registry,
        'permit(principal, action == Interlock::Action::"refunds.create", resource) when { context.arguments has note && context.arguments.note == "x" };',
      ),
      [],
    );

    const operation = validationErrors(registry, 'permit(principal, action == Interlock::Action::"refunds.cancel", resource);');
    assert.match(operation[0] ?? '', /refunds\.cancel/);

    const untyped = validationErrors(
      registry,
      'permit(principal, action == Interlock::Action::"refunds.create", resource) when { context.arguments has metadata };',
    );
    assert.equal(untyped.length, 0, '`has` on a left-out property is valid and simply false');
    const untypedRead = validationErrors(
      registry,
      'permit(principal, action == Interlock::Action::"refunds.create", resource) when { context.arguments.metadata == "x" };',
    );
    assert.equal(untypedRead.length, 1);
  });

  it('lets a group policy read an argument only some operations have when guarded by `has`', () => {
    const registry = supportRegistry();
    assert.equal(
      validationErrors(
        registry,
        'forbid(principal, action in Interlock::Action::"write", resource) when { context.arguments.body like "*password*" };',
      ).length > 0,
      true,
    );
    assert.deepEqual(
      validationErrors(
        registry,
        'forbid(principal, action in Interlock::Action::"write", resource) when { context.arguments has body && context.arguments.body like "*password*" };',
      ),
      [],
    );
  });

  it('prints as Cedar schema text', () => {
    const text = cedarSchemaText(generateCedarSchema(supportRegistry()));
    assert.match(text, /namespace Interlock/);
    assert.match(text, /action "refunds\.create" in \[Action::"write"\]/);
  });

  it('generates an empty but valid schema for an empty registry', () => {
    const schema = generateCedarSchema(new Registry([]));
    assert.deepEqual(Object.keys(schema.json['Interlock']?.actions ?? {}), ['read', 'write', 'destructive']);
    assert.deepEqual(validationErrors(new Registry([]), 'forbid(principal, action, resource);'), []);
  });
});

describe('arguments converted for Cedar', () => {
  const shape = argumentsShape(supportRegistry().resolve('refunds', 'create')?.argumentsSchema ?? {}).shape;

  it('converts typed values and ignores properties the schema does not name', () => {
    assert.deepEqual(
      argumentsToCedar(shape, {
        order_id: 'o-1',
        amount: 12.5,
        currency: 'EUR',
        items: [{ sku: 'a', quantity: 2 }],
        metadata: { x: 1 },
        extra: true,
      }),
      {
        order_id: 'o-1',
        amount: { __extn: { fn: 'decimal', arg: '12.5000' } },
        currency: 'EUR',
        items: [{ sku: 'a', quantity: 2 }],
      },
    );
  });

  it('refuses, rather than withholds, present values that do not fit their type or that Cedar cannot represent exactly', () => {
    // Withholding would let a `has`-guarded forbid read the value as absent and be skipped.
    assert.throws(() => argumentsToCedar(shape, { order_id: 7 }), UnrepresentableArgumentError);
    assert.throws(() => argumentsToCedar(shape, { currency: 'EUR', amount: 0.00001 }), /"amount"/);
    assert.throws(() => argumentsToCedar(shape, { items: [{ sku: 'a', quantity: 1.5 }] }), /"items\[0\]\.quantity"/);
    assert.deepEqual(argumentsToCedar(shape, { currency: 'EUR', items: [{ sku: 'a' }] }), { currency: 'EUR', items: [{ sku: 'a' }] });
    assert.equal(decimalValue(1e15), undefined);
    assert.equal(decimalValue(Number.NaN), undefined);
    assert.deepEqual(decimalValue(-3), { __extn: { fn: 'decimal', arg: '-3.0000' } });
    assert.throws(() => argumentsToCedar(shape, null), UnrepresentableArgumentError);
    assert.throws(() => argumentsToCedar(shape, ['order_id']), UnrepresentableArgumentError);
  });

  it('reads own properties only', () => {
    const inherited = Object.create({ order_id: 'from-prototype' }) as Record<string, unknown>;
    assert.deepEqual(argumentsToCedar(shape, inherited), {});
  });

  it('keeps a contract whose schema is not an object as an empty argument record', () => {
    const registry = new Registry([contract('clock', 'now', 'read', {})]);
    assert.deepEqual(generateCedarSchema(registry).json['Interlock']?.actions['clock.now']?.appliesTo?.context, {
      type: 'Record',
      attributes: {
        arguments: { type: 'Record', attributes: {} },
        environment: { type: 'String' },
        tenant: { type: 'String' },
        actingForUser: { type: 'Boolean' },
        entityCount: { type: 'Long' },
        risk: {
          type: 'Record',
          attributes: {
            score: { type: 'Long' },
            taintedArgs: { type: 'Set', element: { type: 'String' } },
            tainted: { type: 'Boolean' },
            taintSources: { type: 'Set', element: { type: 'String' } },
            injectionScore: { type: 'Long' },
            signals: { type: 'Set', element: { type: 'String' } },
            repeats: { type: 'Long' },
            confidence: { type: 'Long' },
            citations: {
              type: 'Record',
              attributes: {
                cited: { type: 'Long' },
                valid: { type: 'Long' },
                stale: { type: 'Long' },
                quarantined: { type: 'Long' },
                unknown: { type: 'Long' },
              },
            },
          },
        },
      },
    });
  });
});
