import { defineConfig } from 'vitest/config';

// Browser tests need Debian's Chromium (installed by .ci/run); `npm test` stays installable anywhere.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    setupFiles: ['./test/support/setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
