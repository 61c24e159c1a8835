import type { EntitySelector } from './contract.js';

export function parseEntitySelector(type: string, path: string): EntitySelector {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    if (part.endsWith('[*]')) {
      segments.push(part.slice(0, -3), '*');
    } else {
      segments.push(part);
    }
  }
  return { type, segments };
}
