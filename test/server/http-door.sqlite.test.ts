/** The HTTP door against a real server on port 0 and a real SQLite file. */
import { describe } from 'node:test';
import { callsSuite } from './calls-suite.js';
import { evidenceSuite } from './evidence-suite.js';
import { limitsSuite } from './limits-suite.js';
import { operationsSuite } from './operations-suite.js';
import { secretsSuite } from './secrets-suite.js';

describe('HTTP door on sqlite', () => {
  callsSuite('sqlite');
  evidenceSuite('sqlite');
  limitsSuite('sqlite');
  secretsSuite('sqlite');
  operationsSuite('sqlite');
});
