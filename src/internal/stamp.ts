// The base-class return-override idiom: `class X extends ReturnsItsArgument`
// whose constructor calls `super(target)` installs X's private fields on
// `target` itself. Used to attach a record to a promise or a signal instead
// of keeping it in a module-level WeakMap: invisible to reflection and
// proxies, and collected with its target like a WeakMap entry. It is a trick
// a reader must know; each use says what it buys, measured in
// bench/tricks.bench.ts against a copy of the file that uses a WeakMap.
export class ReturnsItsArgument {
  constructor(target: object) {
    return target;
  }
}
