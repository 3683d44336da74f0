/** Tests run on the compiled ES modules in dist/ (npm run build first): no transform, no surprises. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/harness/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 60000,
  // The pcscd suites share vpcd's second slot: one suite at a time.
  maxWorkers: 1,
  // node-pcsclite's native reader threads can outlive a test whose card vanished mid-command;
  // results are complete by then, so do not let them hold the run open.
  forceExit: true,
};
