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
    if (this.#size === length) this.#grow(length);
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
    if (slots.length > MIN_SLOTS && size <= slots.length >>> 2) this.#shrink();
    return value;
  }

  /** Drops every item and the backing array. */
  clear(): void {
    this.#slots = EMPTY;
    this.#head = 0;
    this.#size = 0;
  }

  // Both resizes work in place on the one array (appending, moving the few
  // live items, truncating): a fresh array per resize made a burst of 64
  // events 15–20% slower per event (on() vs events.on, bench/iterate.bench.ts).
  // Appending keeps the array packed, where `new Array(n)` would make it holey.

  /** Doubles a full ring: the items that wrapped round to the front move to the new back half. */
  #grow(length: number): void {
    if (length === 0) {
      const slots: Array<T | undefined> = [];
      for (let i = 0; i < MIN_SLOTS; i++) slots.push(undefined);
      this.#slots = slots;
      return;
    }
    const slots = this.#slots;
    const head = this.#head;
    for (let i = 0; i < head; i++) {
      slots.push(slots[i]);
      slots[i] = undefined;
    }
    for (let i = head; i < length; i++) slots.push(undefined);
  }

  /** Halves a ring at most a quarter full: the live items move to the front, then the array is cut. */
  #shrink(): void {
    const slots = this.#slots;
    const length = slots.length;
    const mask = length - 1;
    const head = this.#head;
    const size = this.#size;
    if (head + size <= length) {
      for (let i = 0; i < size; i++) slots[i] = slots[head + i];
    } else {
      const live: Array<T | undefined> = [];
      for (let i = 0; i < size; i++) live.push(slots[(head + i) & mask]);
      for (let i = 0; i < size; i++) slots[i] = live[i];
    }
    const half = length >>> 1;
    for (let i = size; i < half; i++) slots[i] = undefined;
    slots.length = half;
    this.#head = 0;
  }
}
