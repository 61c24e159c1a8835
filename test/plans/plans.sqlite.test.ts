/** Two-phase plans through the HTTP door, on a real SQLite file. */
import { describe } from 'node:test';
import { plansSuite } from './plans-suite.js';

describe('plans on sqlite', () => {
  plansSuite('sqlite');
});
