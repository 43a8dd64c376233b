import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/cli-support.js';
import { OWNER } from '../../src/core/owners.js';
import { buildDefaultScenario } from '../../tools/sim/default-scenario.js';
import { l2pop } from './cli-process.js';

/**
 * The default cloud's start and r1's graceful failover, with the HA routers' ports carrying the
 * plain router-interface owner: nothing is recognised as an HA interface, so no failover measures
 * a VM and every headline figure is n/a.
 */
function scenarioWithoutHaPorts() {
  const s = buildDefaultScenario('tunnel');
  const keep = new Set(['agents start', 'HA router', 'VM boots', 'r1 graceful failover']);
  return {
    ...s,
    phases: s.phases
      .filter((p) => keep.has(p.name))
      .map((p) => ({
        ...p,
        events: p.events.map((e) =>
          e.type === 'port.upsert' && e.port.deviceOwner === OWNER.haInterface
            ? { ...e, port: { ...e.port, deviceOwner: 'network:router_interface' } }
            : e,
        ),
      })),
  };
}

describe('l2pop ab on a scenario that measures nothing', () => {
  it('exits 1 and says why: no port of r1 is an HA router interface', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'l2pop-ab-na-'));
    try {
      const file = path.join(dir, 'no-ha-ports.json');
      await writeFile(file, JSON.stringify(scenarioWithoutHaPorts()));
      const r = await l2pop(
        ['ab', file, '--strategies', 'tunnel', '--out', dir, '--json', '--quiet'],
        180_000,
      );
      expect(r.code, r.stderr).toBe(EXIT.failed);
      expect(r.stderr).toContain(
        'every headline figure is n/a, so the A/B has no answer: no failover measured a VM: r1 has no port ' +
          'with device_owner network:ha_router_replicated_interface, so no HA router interface was recognised ' +
          '(its ports carry network:router_interface)',
      );
      // the reports are still written, and the JSON says there is no answer
      const printed = JSON.parse(r.stdout) as { verdict: { measured: boolean; pick: string | null } };
      expect(printed.verdict).toMatchObject({ measured: false, pick: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 200_000);
});
