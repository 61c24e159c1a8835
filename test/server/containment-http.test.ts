/** Kill switches and session modes over the HTTP door against a real server and a real SQLite file. */
import { describe } from 'node:test';
import { containmentSuite } from './containment-suite.js';

describe('kill switches and modes over HTTP on sqlite', () => {
  containmentSuite('sqlite');
});
