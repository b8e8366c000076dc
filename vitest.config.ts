import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

// Three projects: the pure protocol core in Node, the Worker inside workerd against an embedded
// Postgres, and real client libraries against a running `npm run dev`-style server.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './src/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                DATABASE_URL: inject('databaseUrl'),
                NEON_WS_PROXY: inject('neonWsProxy'),
                SIGNING_KEY: inject('signingKey'),
                SERVER_NAME: 'test.local',
                REGISTRATION: 'open',
                RATE_LIMITS: 'on',
                // Tests send a distinct client address each; per-account limits still bite quickly.
                RATE_LIMIT_LOGIN_ADDRESS: '0.5/5',
                RATE_LIMIT_LOGIN_ACCOUNT: '0.5/5',
                RATE_LIMIT_LOGIN_FAILURES: '0.5/3',
                RATE_LIMIT_REGISTRATION: '0.5/5',
                // Tests send, join and invite in bursts; test/integration/rate-limits.test.ts tightens these per request.
                RATE_LIMIT_MESSAGES: '1000/10000',
                RATE_LIMIT_JOINS: '1000/10000',
                RATE_LIMIT_INVITES: '1000/10000',
                ACCESS_TOKEN_LIFETIME_MS: '60000',
                // Password hashing at full cost would dominate the suite's CPU time.
                PASSWORD_HASH_ITERATIONS: '1000',
              },
            },
          })),
        ],
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['./test/setup/database.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['./test/setup/server.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
