/** Tests run on the compiled ES modules in dist/ (npm run build first): no transform, no surprises. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/harness/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 60000,
  // The pcscd suites share vpcd's second slot: one suite at a time.
  maxWorkers: 1,
  // node-pcsclite's native reader threads (and a card that vanished mid-command) can keep the
  // process alive after every result is in; on a fresh CI machine that hung the run. Results are
  // complete by then, so do not let them hold it open.
  forceExit: true,
};
