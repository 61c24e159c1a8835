/** Paths into a tool definition as an operator reads them: `inputSchema.properties.path.type`, `inputSchema.required[0]`. */

const PLAIN_MEMBER_NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function memberPath(parent: string, name: string): string {
  // Unusual names (spaces, dots, hidden characters) are written as JSON strings so the path stays unambiguous.
  return PLAIN_MEMBER_NAME.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
}

export function elementPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
