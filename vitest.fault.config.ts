import { defineConfig } from 'vitest/config';

/**
 * The fault-injection suite (`npm run test:fault`, after `npm test` in CI): kills runs at random
 * moments and at each commit step, and starts writers concurrently, on the built CLI. Its files
 * run one after the other (each trial already runs two or three processes at once on 2 cores).
 */
export default defineConfig({
  test: {
    include: ['test/fault/**/*.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/fault/summary.ts'],
  },
});
