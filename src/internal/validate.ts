// Argument validation shared by every primitive.
//
// Messages follow Node's grammar (lib/internal/errors.js) so that users who
// already grep for `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE` find ours too:
//   The "listener" argument must be of type function. Received type number (1)
//   The "options.max" property must be of type number. Received ...
//   The value of "max" is out of range. It must be a positive integer. Received 0
// A dotted name is a property, a plain one an argument.

/** A `TypeError` carrying Node's `ERR_INVALID_ARG_TYPE` code. */
export interface CodedTypeError extends TypeError {
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE';
}

/** A `RangeError` carrying Node's `ERR_OUT_OF_RANGE` code. */
export interface CodedRangeError extends RangeError {
  code: 'ERR_OUT_OF_RANGE';
}

function kind(name: string): string {
  return name.includes('.') ? 'property' : 'argument';
}

/** A short, bounded description of a received value (never dumps objects). */
export function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'function':
      return `function ${value.name || '<anonymous>'}`;
    case 'object': {
      const ctor = (value as { constructor?: { name?: unknown } }).constructor;
      if (ctor && typeof ctor.name === 'string' && ctor.name !== '') {
        return `an instance of ${ctor.name}`;
      }
      return 'an object';
    }
    case 'string': {
      const shown = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return `type string (${JSON.stringify(shown)})`;
    }
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'bigint':
      return `type bigint (${String(value)}n)`;
    default:
      return `type ${typeof value} (${String(value)})`;
  }
}

/** Builds (does not throw) an `ERR_INVALID_ARG_TYPE` TypeError. */
export function invalidArgType(name: string, expected: string, value: unknown): CodedTypeError {
  const error = new TypeError(
    `The "${name}" ${kind(name)} must be ${expected}. Received ${describeReceived(value)}`,
  ) as CodedTypeError;
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

/** Builds (does not throw) an `ERR_INVALID_ARG_VALUE` TypeError. */
export function invalidArgValue(name: string, expected: string, value: unknown): CodedTypeError {
  const error = new TypeError(
    `The ${kind(name)} "${name}" ${expected}. Received ${describeReceived(value)}`,
  ) as CodedTypeError;
  error.code = 'ERR_INVALID_ARG_VALUE';
  return error;
}

/** Builds (does not throw) an `ERR_OUT_OF_RANGE` RangeError. */
export function outOfRange(name: string, expected: string, value: unknown): CodedRangeError {
  const shown = typeof value === 'number' || typeof value === 'bigint' ? String(value) : describeReceived(value);
  const error = new RangeError(
    `The value of "${name}" is out of range. It must be ${expected}. Received ${shown}`,
  ) as CodedRangeError;
  error.code = 'ERR_OUT_OF_RANGE';
  return error;
}

export function validateFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

export function validateOptionalFunction(
  value: unknown,
  name: string,
): asserts value is ((...args: never[]) => unknown) | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

/** Options bags: `undefined` is allowed and means "no options". */
export function validateOptions(value: unknown, name: string): asserts value is object | undefined {
  if (value !== undefined && (value === null || typeof value !== 'object')) {
    throw invalidArgType(name, 'of type object', value);
  }
}

export function validateObject(value: unknown, name: string): asserts value is object {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    throw invalidArgType(name, 'of type object', value);
  }
}

export function isAbortSignal(value: unknown): value is AbortSignal {
  // Duck-typed like Node's validateAbortSignal, so signals from another realm
  // or a polyfill are accepted.
  return (
    value !== null &&
    typeof value === 'object' &&
    'aborted' in value &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).removeEventListener === 'function'
  );
}

export function validateAbortSignal(value: unknown, name: string): asserts value is AbortSignal {
  if (!isAbortSignal(value)) throw invalidArgType(name, 'an instance of AbortSignal', value);
}

export function validateOptionalAbortSignal(value: unknown, name: string): asserts value is AbortSignal | undefined {
  if (value !== undefined && !isAbortSignal(value)) {
    throw invalidArgType(name, 'an instance of AbortSignal', value);
  }
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

/** An integer in [min, max]; `Infinity` is accepted only when `max` is `Infinity`. */
export function validateInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  const ok = (Number.isInteger(value) || (value === Infinity && max === Infinity)) && value >= min && value <= max;
  if (!ok) {
    const bound = max === Infinity ? `>= ${min}` : `>= ${min} && <= ${max}`;
    throw outOfRange(name, `an integer ${bound}${max === Infinity ? ' (or Infinity)' : ''}`, value);
  }
}

/** A finite number (or Infinity when allowed) in [min, max]; never NaN. */
export function validateNumber(
  value: unknown,
  name: string,
  min: number,
  max = Number.MAX_VALUE,
  allowInfinity = false,
): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  const ok = !Number.isNaN(value) && value >= min && (value <= max || (allowInfinity && value === Infinity));
  if (!ok) {
    const upper = max === Number.MAX_VALUE ? '' : ` and <= ${max}`;
    throw outOfRange(name, `a number >= ${min}${upper}${allowInfinity ? ' (or Infinity)' : ''}`, value);
  }
}

export function validateOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidArgValue(name, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
}

/**
 * An options bag with a fixed set of known keys. Rejects, with a hint:
 * - a non-object where options are expected (a positional `AbortSignal` is
 *   told to be passed as `{ signal }`), and
 * - an own enumerable key that is not in `known` (typos and habits from other
 *   libraries: `hints` maps such a name to the option to write instead,
 *   e.g. `dispose` → `onEvict`; otherwise the nearest known name is offered).
 * `undefined` means "no options". Only own enumerable string keys are checked,
 * so class instances and objects carrying inherited methods are accepted.
 */
export function validateOptionsBag(
  value: unknown,
  name: string,
  known: readonly string[],
  hints?: Readonly<Record<string, string>>,
): asserts value is object | undefined {
  if (value === undefined) return;
  if (isAbortSignal(value)) {
    throw invalidArgType(name, 'of type object (pass a signal as `{ signal }`)', value);
  }
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = hints?.[key] ?? nearest(key, known);
    const error = new TypeError(
      `The "${name}" argument has an unknown property "${key}".` +
        (suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`) +
        ` Known properties: ${known.map((k) => `"${k}"`).join(', ')}`,
    ) as CodedTypeError;
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
}

/** The known name within edit distance 2 of `key` (case-insensitive), if any. */
function nearest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
