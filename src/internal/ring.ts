// A FIFO queue on a power-of-two ring buffer, for on()'s event buffer and
// waiting reads.
//
// Leak: the usual JS queue is an array with a head index that is reset only
// when the queue is fully drained (or never): while producers keep up with
// consumers it never drains, so the array grows with everything that ever
// passed through it, and slots behind the head that are not cleared keep
// their values alive.
//
// Invariant: a taken slot is cleared at once, and the backing array is at
// most four times the live size (or MIN_SLOTS): it doubles when full and
// halves when a quarter full, so memory is bounded by what is queued now,
// never by what was queued once.

const MIN_SLOTS = 8;
const EMPTY: never[] = [];

export class Ring<T> {
  #slots: Array<T | undefined> = EMPTY;
  #head = 0;
  #size = 0;

  /** How many items are queued. */
  get size(): number {
    return this.#size;
  }

  /** The length of the backing array (for tests of the storage bound). */
  get slotCount(): number {
    return this.#slots.length;
  }

  push(value: T): void {
    const length = this.#slots.length;
    if (this.#size === length) this.#resize(length === 0 ? MIN_SLOTS : length * 2);
    const slots = this.#slots;
    slots[(this.#head + this.#size) & (slots.length - 1)] = value;
    this.#size++;
  }

  /** Removes and returns the oldest item; the caller checks `size` first. */
  shift(): T {
    const slots = this.#slots;
    const head = this.#head;
    const value = slots[head] as T;
    slots[head] = undefined;
    this.#head = (head + 1) & (slots.length - 1);
    const size = --this.#size;
    if (size === 0) this.#head = 0;
    // Hysteresis (grow at full, shrink at a quarter) keeps resizing amortised O(1).
    if (slots.length > MIN_SLOTS && size <= slots.length >>> 2) this.#resize(slots.length >>> 1);
    return value;
  }

  /** Drops every item and the backing array. */
  clear(): void {
    this.#slots = EMPTY;
    this.#head = 0;
    this.#size = 0;
  }

  #resize(length: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const size = this.#size;
    // Filled by push, not `new Array(length)`, so that the array stays packed.
    const next: Array<T | undefined> = [];
    for (let i = 0; i < length; i++) next.push(i < size ? slots[(this.#head + i) & mask] : undefined);
    this.#slots = next;
    this.#head = 0;
  }
}
