// A tracked value of a realistic size for the GC tests of the caches and
// memoizers: ~2 KB, so a kept one shows in heap figures too.

export interface Payload {
  id: unknown;
  data: number[];
}

export function payload(id: unknown): Payload {
  return { id, data: new Array<number>(256).fill(1) };
}
