/** The path of a `node` executable for an exact release or a major; see node-binary.mjs. */
export function nodeBinary(version: string): string;
