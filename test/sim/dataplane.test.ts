import { describe, expect, it } from 'vitest';
import { createFabric } from '../../tools/sim/dataplane.js';
import { binding, IP, KERNEL_NOLEARNING, KERNEL_PROXY, nodes, OVS, RIF, TUNNEL, VM } from './bed.js';

function fabricWith(
  n: ReturnType<typeof nodes>,
  tables: Record<string, Record<string, readonly (readonly [string, string])[]>>,
) {
  const f = createFabric(n, { ageingMs: 5000 });
  for (const [host, table] of Object.entries(tables)) f.setTable(host, 'n1', table);
  return f;
}

describe('ARP handling per agent mode', () => {
  it('an Open vSwitch responder answers a request it has an entry for and floods one it has not', () => {
    const withEntry = fabricWith(nodes(OVS, OVS), binding('net1'));
    const asked = withEntry.transmit(
      'compute1',
      'n1',
      { kind: 'arp-request', src: VM.mac, targetIp: RIF.ip },
      0,
    );
    expect(asked).toMatchObject({ outcome: 'answered', answer: RIF.mac, copies: 0 });
    const without = fabricWith(nodes(OVS, OVS), TUNNEL);
    const flooded = without.transmit(
      'compute1',
      'n1',
      { kind: 'arp-request', src: VM.mac, targetIp: RIF.ip },
      0,
    );
    expect(flooded).toMatchObject({ outcome: 'sent', via: 'flood', copies: 2, reached: ['net1', 'net2'] });
  });

  it('a responder floods GARPs and forwards ARP replies', () => {
    const f = fabricWith(nodes(OVS, OVS), TUNNEL);
    expect(f.transmit('net2', 'n1', { kind: 'garp', src: RIF.mac, ip: RIF.ip }, 0).reached).toEqual([
      'compute1',
      'net1',
    ]);
    const reply = f.transmit('net1', 'n1', { kind: 'arp-reply', src: RIF.mac, dst: VM.mac }, 0);
    expect(reply).toMatchObject({ outcome: 'sent', via: 'static', reached: ['compute1'] });
  });

  it('a kernel proxy answers from its entries and drops an unknown request', () => {
    const known = fabricWith(nodes(KERNEL_PROXY, OVS), binding('net1'));
    expect(
      known.transmit('compute1', 'n1', { kind: 'arp-request', src: VM.mac, targetIp: RIF.ip }, 0),
    ).toMatchObject({
      outcome: 'answered',
      answer: RIF.mac,
    });
    const unknown = fabricWith(nodes(KERNEL_PROXY, OVS), TUNNEL);
    expect(
      unknown.transmit('compute1', 'n1', { kind: 'arp-request', src: VM.mac, targetIp: RIF.ip }, 0),
    ).toMatchObject({ outcome: 'dropped', copies: 0 });
  });

  it('a kernel proxy drops every ARP reply and GARP a local port sends (finding 2)', () => {
    const f = fabricWith(nodes(OVS, KERNEL_PROXY), TUNNEL);
    expect(f.transmit('net2', 'n1', { kind: 'garp', src: RIF.mac, ip: RIF.ip }, 0)).toMatchObject({
      outcome: 'dropped',
      copies: 0,
    });
    expect(f.transmit('net1', 'n1', { kind: 'arp-reply', src: RIF.mac, dst: VM.mac }, 0)).toMatchObject({
      outcome: 'dropped',
    });
    // ...but not ordinary traffic
    expect(f.transmit('net1', 'n1', { kind: 'unicast', src: RIF.mac, dst: VM.mac }, 0).reached).toEqual([
      'compute1',
    ]);
  });
});

describe('MAC learning', () => {
  it('a learning agent learns the source of a frame from its tunnel and sends there afterwards', () => {
    const f = fabricWith(nodes(OVS, OVS), TUNNEL);
    expect(f.transmit('compute1', 'n1', { kind: 'unicast', src: VM.mac, dst: RIF.mac }, 0).via).toBe('flood');
    f.transmit('net2', 'n1', { kind: 'garp', src: RIF.mac, ip: RIF.ip }, 10);
    expect(f.learnedVtep('compute1', 'n1', RIF.mac, 20)).toBe(IP.net2);
    expect(f.transmit('compute1', 'n1', { kind: 'unicast', src: VM.mac, dst: RIF.mac }, 20)).toMatchObject({
      via: 'learned',
      copies: 1,
      reached: ['net2'],
    });
  });

  it('a learned entry ages out and the frame is flooded again', () => {
    const f = fabricWith(nodes(OVS, OVS), TUNNEL);
    f.transmit('net1', 'n1', { kind: 'garp', src: RIF.mac, ip: RIF.ip }, 0);
    expect(f.learnedVtep('compute1', 'n1', RIF.mac, 4999)).toBe(IP.net1);
    expect(f.learnedVtep('compute1', 'n1', RIF.mac, 5000)).toBeUndefined();
  });

  it('an agent without learning floods every frame to the router MAC to both network nodes', () => {
    const f = fabricWith(nodes(KERNEL_NOLEARNING, OVS), TUNNEL);
    f.transmit('net1', 'n1', { kind: 'garp', src: RIF.mac, ip: RIF.ip }, 0);
    expect(f.transmit('compute1', 'n1', { kind: 'unicast', src: VM.mac, dst: RIF.mac }, 1)).toMatchObject({
      via: 'flood',
      copies: 2,
    });
  });

  it('learning never overrides a permanent entry (finding 1)', () => {
    const f = fabricWith(nodes(OVS, OVS), binding('net1'));
    f.transmit('net2', 'n1', { kind: 'garp', src: RIF.mac, ip: RIF.ip }, 0);
    expect(f.transmit('compute1', 'n1', { kind: 'unicast', src: VM.mac, dst: RIF.mac }, 1)).toMatchObject({
      via: 'static',
      reached: ['net1'],
    });
  });

  it('a host that is down neither sends nor receives', () => {
    const f = fabricWith(nodes(OVS, OVS), TUNNEL);
    f.setUp('net1', false);
    expect(f.transmit('compute1', 'n1', { kind: 'unicast', src: VM.mac, dst: RIF.mac }, 0).reached).toEqual([
      'net2',
    ]);
    expect(f.transmit('net1', 'n1', { kind: 'garp', src: RIF.mac, ip: RIF.ip }, 0).outcome).toBe('dropped');
  });
});
