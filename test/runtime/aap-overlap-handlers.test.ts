import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { createRejectedStore } from '../../src/adapters/aws/dynamo-rejected-store.js';
import { captureOutput, type EmfBlob } from '../support/emf.js';
import { agentReportBody } from '../support/inbound-bodies.js';
import { flagsSet, message, vipClaim, vmPortUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * Overlap with another port's fixed IP (deviation D18, docs/vip.md) through the bundled handlers
 * (esbuild bundles behind their pollers, DynamoDB Local, fauxqs, simulated agents as strict as the
 * reference agent), under master-binding, each message delivered twice: a router VM with
 * `0.0.0.0/0` as a pair in a network of bound ports is recorded and its VM gets its entries, the
 * overlap reported (WARN line, `AapOverlapsFound`); its claim of another port's fixed IP inside
 * the prefix is refused (`aap_overlaps_fixed_ip`); its binding of a free address is withdrawn when
 * another port takes that address as a fixed IP. Every agent equals the fact oracle, which applies
 * both rules on its own.
 */
const NET = { id: 'net-aapo', networkType: 'vxlan', segmentId: 912 };
const HOSTS = ['o1', 'o2', 'o3'];
const tunnel = (h: string) => `198.51.100.${HOSTS.indexOf(h) + 41}`;
const macOf = (n: number) => `fa:16:3e:09:02:0${n}`;

const report = (host: string) =>
  message('agent', host, agentReportBody(host, tunnel(host), 'ovs-no-learning'));
const port = (id: string, host: string, n: number, ips: string[], pairs: string[], revision = 1) =>
  vmPortUpsert(NET, {
    id,
    mac: macOf(n),
    ips,
    host,
    revision,
    allowedAddressPairs: pairs.map((ipAddress) => ({ ipAddress })),
  });
const claim = (portId: string, host: string, n: number, ip: string, at: number): WorkloadMessage =>
  vipClaim({ host, networkId: NET.id, portId, ip, mac: macOf(n), at });

describe('an allowed-address pair over another port’s fixed IP, through the bundled handlers', () => {
  let h: Harness;
  let output: ReturnType<typeof captureOutput>;
  beforeAll(async () => {
    output = captureOutput();
    h = await startHarness({
      label: 'aapover',
      env: { POWERTOOLS_METRICS_DISABLED: 'false', L2POP_LOG_LEVEL: 'WARN' },
    });
  });
  afterAll(async () => {
    await h?.stop();
    output?.restore();
  });

  it('records the 0.0.0.0/0 router VM, refuses its claim of a held address, withdraws its binding when another port takes the address', async () => {
    const store = () => createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const setup = [
      flagsSet('master-binding'),
      ...HOSTS.map(report),
      port('pa', 'o1', 1, ['10.9.2.11'], []),
      port('pb', 'o2', 2, ['10.9.2.12'], []),
    ];
    const ready = await h.deliver([], setup);
    // the router VM: anti-spoofing off with 0.0.0.0/0
    let all = await h.deliver(ready, [port('pr', 'o3', 3, ['10.9.2.13'], ['0.0.0.0/0'])], 2);
    expect(h.diff(all)).toEqual([]);
    expect((await store().getPort('pr', NET.id)) ?? null).toMatchObject({ host: 'o3' });
    for (const host of ['o1', 'o2'])
      expect(h.agents.agents.table(host, NET.id)[tunnel('o3')]).toContainEqual([macOf(3), '10.9.2.13']);
    const warned = output
      .logs()
      .filter((l) => typeof l.message === 'string' && l.message.startsWith('aap overlap:'));
    expect(warned.length).toBeGreaterThan(0);
    expect(warned[0]).toMatchObject({
      code: 'aap_overlaps_fixed_ip',
      aapPort: 'pr',
      pair: '0.0.0.0/0',
      level: 'WARN',
    });
    const found = output
      .emf()
      .filter((b: EmfBlob) => b.metrics.includes('AapOverlapsFound'))
      .map((b) => b.values.AapOverlapsFound);
    expect(found.length).toBeGreaterThan(0);
    // its claim of pa's fixed IP is refused; a free address inside the prefix binds
    const t = Date.now();
    const claims = [
      claim('pr', 'o3', 3, '10.9.2.11', t - 6000),
      claim('pr', 'o3', 3, '10.9.2.100', t - 5000),
    ];
    all = await h.deliver(all, claims, 2);
    expect(h.diff(all)).toEqual([]);
    const codes = (
      await createRejectedStore({ client: h.stack.clients.doc, tableName: h.stack.tableName }).list()
    ).map((r) => r.code);
    expect(codes).toContain('aap_overlaps_fixed_ip');
    expect(h.agents.agents.table('o1', NET.id)[tunnel('o3')]).toContainEqual([macOf(3), '10.9.2.100']);
    // one entry for pa's address: its own
    const forPa = Object.values(h.agents.agents.table('o2', NET.id))
      .flat()
      .filter(([, ip]) => ip === '10.9.2.11');
    expect(forPa).toEqual([[macOf(1), '10.9.2.11']]);
    // pb takes 10.9.2.100 as a fixed IP: pr's binding is withdrawn in the same commit
    all = await h.deliver(all, [port('pb', 'o2', 2, ['10.9.2.12', '10.9.2.100'], [], 2)], 2);
    expect(h.diff(all)).toEqual([]);
    expect(h.agents.agents.table('o1', NET.id)[tunnel('o3')] ?? []).not.toContainEqual([
      macOf(3),
      '10.9.2.100',
    ]);
    expect(h.agents.agents.table('o1', NET.id)[tunnel('o2')]).toContainEqual([macOf(2), '10.9.2.100']);
    expect((await store().listNetworkVips(NET.id)).map((v) => v.state.owner)).toEqual([null]);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    expect(h.agents.received.gaps).toBe(0);
  });
});
