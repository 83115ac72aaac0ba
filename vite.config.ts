import { vitePlugin as remix } from '@remix-run/dev';
import { defineConfig } from 'vite';
import { denyImports } from 'vite-env-only';

export default defineConfig({
  plugins: [
    // Domain code, the database and secrets never reach the browser bundle.
    denyImports({
      client: {
        files: ['**/identity/**', '**/messaging/**', '**/db/**', '**/infra/**', '**/server.ts', '**/cli.ts'],
        specifiers: ['pg', '@electric-sql/pglite', 'drizzle-orm', '@node-rs/argon2', 'pino', 'prom-client'],
      },
    }),
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
        v3_routeConfig: true,
      },
    }),
  ],
  build: { target: 'es2022' },
});
