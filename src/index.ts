export { race, any } from './race.js';
export { ClosedError, OverflowError, isAbortError } from './errors.js';
