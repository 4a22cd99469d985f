import { defineConfig } from 'vitest/config';

// Unit and integration tests: real SQLite files, real HTTP, real PostgreSQL. Browser tests live in
// vitest.e2e.config.ts because they need the built renderer and Chromium.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.{ts,tsx}', 'test/integration/**/*.test.{ts,tsx}', 'test/renderer/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
