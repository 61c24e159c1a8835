/** Governed retrieval over the HTTP door against a real server and a real SQLite file. */
import { describe } from 'node:test';
import { retrievalSuite } from './retrieval-suite.js';

describe('governed retrieval on sqlite', () => {
  retrievalSuite('sqlite');
});
