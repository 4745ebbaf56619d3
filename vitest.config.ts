import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files run in parallel forks, each test file owns its own database and Redis prefix.
    pool: 'forks',
    maxWorkers: 2,
  },
});
