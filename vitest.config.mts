import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: each workflow test file runs its own Temporal server, worker and
    // clock; on a 2-core machine, files in parallel starve each other's timers and tasks.
    fileParallelism: false,
  },
});
