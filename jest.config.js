/** Tests run on the compiled ES modules in dist/ (npm run build first): no transform, no surprises. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/harness/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 60000,
  // The pcscd suites share vpcd's second slot: one suite at a time.
  maxWorkers: 1,
};
