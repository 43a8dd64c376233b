import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions, ROOT } from '../../scripts/build.mjs';

/**
 * The Lambda bundles are the production chain: no fault injector (tools/local/faults.ts) and no
 * DynamoDB meter (tools/support/dynamo-meter.ts), which the local stack attaches through the
 * bundles' `withSeams` export only (src/runtime/seams.ts).
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

  it('are built, with their handler and their seams entry', () => {
    expect(bundles.map((b) => b.name).sort()).toEqual([
      'agent-events',
      'ha-events',
      'outbox-sweeper',
      'port-events',
    ]);
    for (const b of bundles) expect(b.text).toMatch(/\bhandler\b/);
    for (const b of bundles) expect(b.text).toMatch(/\bwithSeams\b/);
  });

  it('contain no fault injection', () => {
    for (const b of bundles)
      for (const marker of ['FaultInjectedError', 'L2POP_FAULTS', 'injected crash', 'between-networks'])
        expect(b.text.includes(marker), `${b.name} contains ${marker}`).toBe(false);
  });

  it('contain no DynamoDB meter and emit no metered capacity', async () => {
    // the markers are the meter's own: its middleware name and what it sets on every request
    const meter = await readFile(path.join(ROOT, 'tools/support/dynamo-meter.ts'), 'utf8');
    const markers = ["name: 'l2popDynamoMeter'", "ReturnConsumedCapacity = 'TOTAL'"];
    for (const marker of markers) expect(meter).toContain(marker);
    for (const b of bundles) {
      expect(b.text.includes('l2popDynamoMeter'), `${b.name} contains the meter`).toBe(false);
      // the SDK's serializers name the field; only a meter assigns it
      expect(b.text, `${b.name} asks for consumed capacity`).not.toMatch(
        /ReturnConsumedCapacity\s*=\s*["']TOTAL/,
      );
      // the metered metrics the functions once shipped: AWS/DynamoDB's own table metrics replace them
      for (const metric of ['DynamoReadUnits', 'DynamoWriteUnits'])
        expect(b.text.includes(metric), `${b.name} emits ${metric}`).toBe(false);
    }
  });
});
