import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions } from '../../scripts/build.mjs';

/**
 * The Lambda bundles are the production chain: no fault injector (tools/local/faults.ts), which the
 * local stack attaches through the bundles' `withSeams` export only (src/runtime/seams.ts).
 */
describe('the production bundles', () => {
  let dir = '';
  let bundles: { name: string; text: string }[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'l2pop-bundle-'));
    const built = await buildFunctions({ outdir: dir });
    bundles = await Promise.all(
      built.map(async (b) => ({ name: b.name, text: await readFile(b.file, 'utf8') })),
    );
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('are built, with their handler and the seams entry of the SQS functions', () => {
    expect(bundles.map((b) => b.name).sort()).toEqual([
      'agent-events',
      'ha-events',
      'outbox-sweeper',
      'port-events',
    ]);
    for (const b of bundles) expect(b.text).toMatch(/\bhandler\b/);
    for (const b of bundles.filter((x) => x.name !== 'outbox-sweeper'))
      expect(b.text).toMatch(/\bwithSeams\b/);
  });

  it('contain no fault injection', () => {
    for (const b of bundles)
      for (const marker of ['FaultInjectedError', 'L2POP_FAULTS', 'injected crash', 'between-networks'])
        expect(b.text.includes(marker), `${b.name} contains ${marker}`).toBe(false);
  });
});
