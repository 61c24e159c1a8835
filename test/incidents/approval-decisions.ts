/**
 * The operator's side of the approval incidents, through the HTTP door: each operator of the
 * project decides with their own operator token (`POST /v1/approvals/:id/approve|deny`), and the
 * request is read back with `GET /v1/approvals/:id`. Roles and tenants come from the token, as
 * configured in interlock.yaml.
 */
import { strict as assert } from 'node:assert';
import type { ApprovalView } from '../../src/approvals/approval-service.js';
import type { HttpAnswer, ProjectFixture } from '../support/project-fixture.js';

export class Approvers {
  readonly #project: ProjectFixture;
  readonly #tokens = new Map<string, string>();

  constructor(project: ProjectFixture) {
    this.#project = project;
  }

  async token(operatorId: string): Promise<string> {
    const known = this.#tokens.get(operatorId);
    if (known !== undefined) return known;
    const minted = await this.#project.mintOperatorToken(operatorId);
    this.#tokens.set(operatorId, minted);
    return minted;
  }

  /** The raw answer, for refusals. */
  async attempt(
    approvalId: string,
    operatorId: string,
    decision: 'approve' | 'deny',
    comment = 'checked against the ticket',
  ): Promise<HttpAnswer> {
    return this.#project.request('POST', `/v1/approvals/${approvalId}/${decision}`, {
      token: await this.token(operatorId),
      json: { comment },
    });
  }

  /** A decision that must be accepted; returns the request as it stands after it. */
  async decide(approvalId: string, operatorId: string, decision: 'approve' | 'deny', comment?: string): Promise<ApprovalView> {
    const answer = await this.attempt(approvalId, operatorId, decision, comment);
    assert.equal(answer.status, 200, `${operatorId} could not ${decision}: ${answer.text}`);
    return answer.body as unknown as ApprovalView;
  }

  /** The request as an operator of its tenant sees it. */
  async view(approvalId: string, operatorId = 'finance-one'): Promise<ApprovalView> {
    const answer = await this.#project.request('GET', `/v1/approvals/${approvalId}`, { token: await this.token(operatorId) });
    assert.equal(answer.status, 200, answer.text);
    return answer.body as unknown as ApprovalView;
  }
}
