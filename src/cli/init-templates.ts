/** Files written by `interlock init`: a small project that starts, decides and passes its own tests. */

export function projectTemplate(project: string): string {
  return `# Interlock project file. Reference: docs/reference/configuration.md
version: 1
project: ${project}
environment: dev

storage:
  driver: sqlite
  path: interlock.db # inside dataDir (.interlock/)
  durability: durable

# In-process tool implementations used by \`interlock serve\`.
handlers: ./handlers.js

tenants:
  - id: default

agents:
  - id: assistant
    tenant: default
    owner: you@example.com
    environment: dev
    stage: pilot

operators:
  - id: admin
    tenants: '*'
    roles: [auditor]

tools:
  - name: notes
    description: A notebook the assistant can read and append to.
    upstream: { kind: in_process }
    operations:
      - name: search
        effect: read
        idempotent: true
        arguments:
          type: object
          properties:
            query: { type: string, maxLength: 200, examples: [groceries] }
          required: [query]
          additionalProperties: false
      - name: append
        effect: write
        arguments:
          type: object
          properties:
            text: { type: string, maxLength: 2000 }
          required: [text]
          additionalProperties: false
        entities: [{ type: note, path: text }]
      - name: clear
        effect: destructive
        arguments: { type: object, properties: {}, additionalProperties: false }

policy:
  bundle: ./policies

limits:
  rate:
    perAgent: { limit: 50, per: 1s }
  perRequest: { toolCalls: 20, writes: 5 }
`;
}

export const POLICY_TEMPLATE = `// Policies are Cedar. Principals: Interlock::Agent, Interlock::User. Actions: one per
// operation ("tool.operation"), grouped under Interlock::Action::"read" | "write" | "destructive".

@id("assistant-reads-notes")
@reason("the assistant may search notes")
permit (
  principal == Interlock::Agent::"assistant",
  action in Interlock::Action::"read",
  resource
);

@id("assistant-appends-notes")
@reason("the assistant may append short notes")
permit (
  principal == Interlock::Agent::"assistant",
  action == Interlock::Action::"notes.append",
  resource
);

@id("clearing-needs-approval")
@reason("clearing the notebook needs an owner's approval")
@approval("owner")
permit (
  principal == Interlock::Agent::"assistant",
  action == Interlock::Action::"notes.clear",
  resource
);
`;

/** The default risk pack: untrusted content never steers a write without a person seeing it. */
export const RISK_POLICY_TEMPLATE = `// Default risk pack. Escalation policies add an approval to what other policies permit; they
// never permit anything on their own. See docs/reference/policy.md (context.risk).

@id("tainted-writes-need-review")
@reason("an argument of this write carries a value that came from untrusted content in this session")
@escalation("true")
@approval("owner")
permit (
  principal,
  action in [Interlock::Action::"write", Interlock::Action::"destructive"],
  resource
)
when { context.risk.tainted };

@id("injected-sessions-need-review")
@reason("content that entered this session tried to instruct the agent; writes wait for a person")
@escalation("true")
@approval("owner")
permit (
  principal,
  action in [Interlock::Action::"write", Interlock::Action::"destructive"],
  resource
)
when { context.risk.signals.contains("injection") };
`;

export const POLICY_TESTS_TEMPLATE = `# Run with \`interlock policy test\`. A bundle whose cases fail is refused at load time.
cases:
  - name: the assistant may search
    agent: { id: assistant, tenant: default, environment: dev, stage: pilot }
    tool: notes
    operation: search
    arguments: { query: groceries }
    expect: allow
  - name: clearing needs the owner's approval
    agent: { id: assistant, tenant: default, environment: dev, stage: pilot }
    tool: notes
    operation: clear
    arguments: {}
    expect: require_approval
    obligations: { approvalRole: owner }
  - name: a note carrying a value from an untrusted e-mail waits for the owner
    agent: { id: assistant, tenant: default, environment: dev, stage: pilot }
    tool: notes
    operation: append
    arguments: { text: "pay 4821 7731 0093 to the new account" }
    risk: { score: 80, taintedArgs: [text], taintSources: ["email:msg-1"], signals: [taint] }
    expect: require_approval
    obligations: { approvalRole: owner }
  - name: the same note typed by the user runs
    agent: { id: assistant, tenant: default, environment: dev, stage: pilot }
    tool: notes
    operation: append
    arguments: { text: "pay 4821 7731 0093 to the new account" }
    expect: allow
`;

export const HANDLERS_TEMPLATE = `// In-process implementations of the tools declared in interlock.yaml, keyed "tool.operation".
const notes = [];

export const handlers = {
  'notes.search': ({ query }) => ({ matches: notes.filter((note) => note.includes(query)) }),
  'notes.append': ({ text }) => {
    notes.push(text);
    return { count: notes.length };
  },
  'notes.clear': () => {
    notes.length = 0;
    return { cleared: true };
  },
};
`;

export const GITIGNORE_TEMPLATE = `.interlock/
`;
