import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { OCTAVIA_OWNER } from '../../src/core/owners.js';
import type { AgentTable } from '../../src/core/types.js';
import { createAppliedAgents } from '../support/applied-agents.js';
import { inboundEvent, portDeleteBody, vipClaimBody } from '../support/inbound-bodies.js';
import { vipWorldSetup } from '../support/vip-world.js';

/**
 * The Octavia VIP port (docs/vip.md, "The Octavia VIP port"): device owner `Octavia`, an unbound
 * reservation of the load balancer's VIP that the amphorae's ports carry as a pair. Neutron's l2pop
 * treats it as an ordinary port (no rule names the owner), so unbound it gives nothing; the
 * controller accepts it and does the same (test/neutron/regressions/octavia-vip-port.json compares
 * with Neutron's code).
 */
const NET = { id: 'net-lb', networkType: 'vxlan', segmentId: 720 };
const VIP = '10.0.0.100';
const HOSTS: Record<string, string> = { h1: '192.0.2.1', h2: '192.0.2.2', h3: '192.0.2.3' };
const LB_MAC = 'fa:16:3e:00:00:10';

const upsert = (id: string, fields: Record<string, unknown>) =>
  parseInboundEvent(
    JSON.stringify({
      type: 'port.upsert',
      v: 1,
      network: NET,
      port: {
        id,
        networkId: NET.id,
        deviceId: `dev-${id}`,
        status: 'ACTIVE',
        dvrHosts: [],
        revision: 1,
        ...fields,
      },
    }),
  );
const reservation = (fields: Record<string, unknown> = {}) =>
  upsert('lb-vip', {
    mac: LB_MAC,
    ips: [VIP],
    deviceOwner: OCTAVIA_OWNER,
    host: '',
    status: 'DOWN',
    ...fields,
  });
const amphora = (id: string, host: string, n: number) =>
  upsert(id, {
    mac: `fa:16:3e:00:00:0${n}`,
    ips: [`10.0.0.1${n}`],
    deviceOwner: 'compute:nova',
    host,
    allowedAddressPairs: [{ ipAddress: VIP }],
  });

describe('the Octavia VIP port', () => {
  it('parses: the owner `Octavia` is known, unbound, with the VIP as its fixed IP', () => {
    const e = reservation();
    expect(e.type === 'port.upsert' && e.port.deviceOwner).toBe('Octavia');
  });

  it('other spellings stay unknown owners', () => {
    for (const owner of ['octavia', 'Octavia:vip', 'neutron:LOADBALANCERV2'])
      expect(() => reservation({ deviceOwner: owner }), owner).toThrow(
        expect.objectContaining({ code: 'unknown_device_owner' }),
      );
  });

  it('sends nothing for the unbound reservation, beside amphorae that carry its VIP as a pair, under master-binding', async () => {
    // no check of the agents' actions: this test asserts only what they end up holding
    const { deps, table } = createAppliedAgents({ accept: null });
    const send = (e: ReturnType<typeof parseInboundEvent>) => dispatchEvent(deps, e);
    for (const body of vipWorldSetup('master-binding', HOSTS)) await send(inboundEvent(body));
    // Octavia's order: the reservation first, then the amphorae with the pair
    expect((await send(reservation())).outcome).toBe('applied');
    await send(amphora('amp1', 'h1', 1));
    await send(amphora('amp2', 'h2', 2));
    await send(
      upsert('vm3', {
        mac: 'fa:16:3e:00:00:03',
        ips: ['10.0.0.13'],
        deviceOwner: 'compute:nova',
        host: 'h3',
      }),
    );
    const mentions = (t: AgentTable) =>
      Object.values(t).some((es) => es.some(([m, ip]) => m === LB_MAC || ip === VIP));
    for (const h of Object.keys(HOSTS)) expect(mentions(table(h)), h).toBe(false);
    // the reservation's update and delete send nothing about it either
    await send(reservation({ revision: 2, status: 'ACTIVE' }));
    for (const h of Object.keys(HOSTS)) expect(mentions(table(h)), h).toBe(false);
    // the amphora that announces the VIP binds it (D15), behind its host
    await send(
      inboundEvent(
        vipClaimBody({
          host: 'h1',
          networkId: NET.id,
          portId: 'amp1',
          ip: VIP,
          mac: 'fa:16:3e:00:00:01',
          at: Date.now() - 1000,
          seq: 1,
        }),
      ),
    );
    expect(table('h3')[HOSTS.h1 as string]).toContainEqual(['fa:16:3e:00:00:01', VIP]);
    await send(inboundEvent(portDeleteBody(NET.id, 'lb-vip', 3)));
    expect(table('h3')[HOSTS.h1 as string]).toContainEqual(['fa:16:3e:00:00:01', VIP]);
    for (const h of Object.keys(HOSTS))
      expect(
        Object.values(table(h)).some((es) => es.some(([m]) => m === LB_MAC)),
        h,
      ).toBe(false);
  });
});
