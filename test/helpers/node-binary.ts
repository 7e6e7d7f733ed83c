// Exact Node.js binaries for tests that run a case under one specific release.
export { nodeBinary } from '../../scripts/node-binary.mjs';
