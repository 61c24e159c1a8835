#!/usr/bin/env node
// Entry point of the `interlock` command; the compiled CLI lives in dist/ (npm run build).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('interlock: dist/ is missing; run "npm run build" first\n');
  process.exit(2);
}
await import(entry.href);
