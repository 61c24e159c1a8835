/** Approvals over the HTTP door against a real server on port 0 and a real SQLite file. */
import { describe } from 'node:test';
import { approvalsSuite } from './approvals-suite.js';

describe('approvals over HTTP on sqlite', () => {
  approvalsSuite('sqlite');
});
