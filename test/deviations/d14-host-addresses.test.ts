import { describe, expect, it } from 'vitest';
import { assertIp } from '../../agent/kernel-values.js';
import { unusableIpReason } from '../../src/contracts/primitives.js';
import { agentReport, inboundCode, vmPortUpsert } from '../support/inbound-codes.js';

/** The controller's edge and the reference agent refuse the same addresses, with one rule. */
const UNUSABLE = [
  '0.0.0.0',
  '0.1.2.3',
  '::',
  '255.255.255.255',
  '224.0.0.1',
  '239.1.1.1',
  'ff02::1',
  '127.0.0.1',
  '127.9.9.9',
  '::1',
];
const USABLE = [
  '10.0.0.1',
  '192.0.2.7',
  '2001:db8::1',
  '169.254.169.254',
  'fe80::1',
  '223.255.255.254',
  '240.0.0.1',
];

const codeOf = inboundCode;
const port = (ip: string) => vmPortUpsert({ ips: [ip] });
const report = (tunnelIp: string) => agentReport({ tunnelIp });

describe('D14 host-addresses: no unspecified, broadcast, multicast or loopback fixed or tunnel IP', () => {
  it.each(UNUSABLE)('%s is refused as a fixed IP, as a tunnel IP, and by the agent', (ip) => {
    expect(unusableIpReason(ip)).not.toBeNull();
    expect(codeOf(port(ip))).toBe('invalid_ip');
    expect(codeOf(report(ip))).toBe('invalid_ip');
    expect(() => assertIp(ip)).toThrow(/not a usable IP address/);
  });

  it.each(USABLE)('%s is accepted by the controller and by the agent', (ip) => {
    expect(codeOf(port(ip))).toBe('accepted');
    expect(codeOf(report(ip))).toBe('accepted');
    expect(assertIp(ip)).toBe(ip);
  });

  it.each([
    ['10.0.0.5', '10.0.0.5'],
    ['2001:db8::1', '2001:DB8:0::1'],
  ])('a port listing one fixed IP twice (%s, %s) is refused: Neutron allocates each once', (a, b) => {
    const e = port(a);
    expect(codeOf({ ...e, port: { ...e.port, ips: [a, '10.0.0.9', b] } })).toBe('duplicate_ip');
  });

  it.each([
    ['vxlan', 0, 'invalid_segment'],
    ['vxlan', 16_777_216, 'invalid_segment'],
    ['gre', 0, 'invalid_segment'],
    ['geneve', 0, 'invalid_segment'],
    ['vxlan', 1, 'accepted'],
    ['gre', 4_294_967_295, 'accepted'],
    ['flat', 0, 'accepted'],
  ])('a %s network with segment %i is %s', (networkType, segmentId, code) => {
    const e = port('10.0.0.1');
    expect(codeOf({ ...e, network: { ...e.network, networkType, segmentId } })).toBe(code);
  });
});
