import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStoredExamples } from './examples.js';
import {
  ORACLE_EXAMPLES,
  ORACLE_PYTHON,
  ORACLE_SCRIPT,
  type OracleResult,
  oracleUnavailableReason,
} from './oracle.js';
import { createOraclePool, type OraclePool } from './oracle-worker.js';

/**
 * The project's Neutron harness (docs/neutron-oracle.md) reproduces the stored outputs of every
 * oracle example: the messages in the same order with the same payloads, and the same agent
 * tables. One example also goes through a single process in the default output form, which must
 * equal its `.out.json` byte for byte.
 */

const unavailable = oracleUnavailableReason();
if (unavailable !== null) console.warn(`oracle harness checks SKIPPED: ${unavailable}`);

/** The harness's default output for one trace, as one process prints it. */
function runHarness(trace: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ORACLE_PYTHON, [ORACLE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(trace);
  });
}

const examples = loadStoredExamples();

describe.skipIf(unavailable !== null)(
  `the oracle harness reproduces the stored Neutron outputs${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let pool: OraclePool;
    const runs = new Map<string, Promise<OracleResult>>();
    beforeAll(() => {
      pool = createOraclePool({ jobs: 2 });
      for (const ex of examples) runs.set(ex.name, pool.run(ex.trace));
      // every run is started now, so the two workers stay busy while the tests wait in turn
      for (const r of runs.values()) r.catch(() => undefined);
    });
    afterAll(() => pool.close());

    it('has the nine examples', () => expect(examples).toHaveLength(9));

    for (const ex of examples) {
      it(`${ex.name}: the same messages, in order, and the same agent tables`, async () => {
        const got = await runs.get(ex.name);
        expect(got?.notifications).toEqual(ex.oracle.notifications);
        expect(got?.fdb).toEqual(ex.oracle.fdb);
        expect(got?.trace).toHaveLength((ex.trace as { steps: unknown[] }).steps.length);
      }, 300_000);
    }

    it('prints 07_ha_router_failover.out.json byte for byte from one process', async () => {
      const name = '07_ha_router_failover';
      const r = await runHarness(readFileSync(join(ORACLE_EXAMPLES, `${name}.json`), 'utf8'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(ORACLE_EXAMPLES, `${name}.out.json`), 'utf8'));
    }, 300_000);

    it('exits 2 with the reason and prints nothing on an unknown port', async () => {
      const trace = { agents: [], networks: [], steps: [{ op: 'port_up', port: 'nope', host: 'h1' }] };
      const r = await runHarness(JSON.stringify(trace));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/unknown port 'nope'/);
    }, 300_000);
  },
);
