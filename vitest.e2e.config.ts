import { defineConfig } from 'vitest/config';

// Browser tests: the built renderer (npx electron-vite build) served by `npm run web`'s server module,
// driven in Debian's Chromium through playwright-core. One file at a time: each starts a server and a
// browser, and the machine is shared.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
