import { defineConfig } from 'vitest/config';

/** L2POP_TEST_REPORT=file adds vitest's JSON report there (.ci/run counts skipped tests from it). */
const jsonReport = process.env.L2POP_TEST_REPORT;

/**
 * Three projects, all run by `npm test`:
 * - unit: pure core, contracts, replay, the Neutron differential and the reference agent (fast, no servers);
 * - runtime: the real handlers on DynamoDB Local and fauxqs, started once by the global setup;
 * - local: the CLI end to end (`l2pop local`, `stack up`, `ab`), each file booting its own stack;
 * - dataplane: the kernel VXLAN + keepalived failover bed (root only; skips itself otherwise).
 */
export default defineConfig({
  test: {
    pool: 'forks',
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/runtime/**', 'test/e2e/**', 'test/local/**', 'node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'runtime',
          include: ['test/runtime/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'local',
          include: ['test/local/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'dataplane',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
