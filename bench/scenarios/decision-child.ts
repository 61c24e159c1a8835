// Runs the policy decision benchmark in its own process and prints its rows as one JSON line, so a
// crash in the policy engine cannot take the rest of the run with it.
import { benchDecisions } from '../decision.js';
import { DECISION_ROWS_MARKER } from './decision-latency.js';

const rows = await benchDecisions();
process.stdout.write(`${DECISION_ROWS_MARKER}${JSON.stringify(rows)}\n`);
