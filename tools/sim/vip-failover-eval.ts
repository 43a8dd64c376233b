import type { Port } from '../../src/core/types.js';
import { type FailoverReplay, probeVms, replayFailover, type StackFailover } from './failover-eval.js';
import type { VipFailoverSpec } from './scenario.js';

/** One VIP failover as it happened on the local stack: keepalived's VIP moving between two VMs. */
export interface VipFailoverRun extends FailoverReplay {
  readonly spec: VipFailoverSpec;
  /** The ports whose allowed-address pairs hold the VIP (the keepalived VMs: they do not ping it). */
  readonly holders: readonly string[];
}

const holdsVip = (spec: VipFailoverSpec) => (p: Port) =>
  (p.allowedAddressPairs ?? []).some((a) => a.ipAddress === spec.ip);

/**
 * Replays a VIP failover through the data-plane model (`replayFailover`): the VIP is one more
 * address with the same MAC and IP on several nodes, here the hosts of the keepalived VMs, and
 * every other VM of its network pings it. Its MAC is keepalived's virtual MAC, so the master
 * advertises from it (`adverts`): learning agents follow it by those alone, even where an ARP
 * proxy on the new owner's host eats its GARPs. `reportAt` is when the new owner's claim was sent.
 */
export function evaluateVipFailover(input: StackFailover<VipFailoverSpec>): VipFailoverRun {
  const { spec, vrrp, oracle } = input;
  const holders = oracle.livePorts().filter((p) => p.networkId === spec.networkId && holdsVip(spec)(p));
  const replay = replayFailover({
    ...input,
    subject: { kind: 'vip', name: `the VIP ${spec.ip}`, from: spec.from, to: spec.to },
    mode: spec.mode,
    takeoverMs: spec.mode === 'graceful' ? vrrp.gracefulMs : vrrp.nodeLossMs,
    interfaces: [{ networkId: spec.networkId, mac: spec.mac, ip: spec.ip, adverts: true }],
    vms: probeVms(oracle, new Set([spec.networkId]), holdsVip(spec)),
    // under `auto` the VIP's hosting hosts are those whose claims were accepted: after the
    // failover, both owners'
    hosting: [...new Set([spec.from, spec.to])],
  });
  return { ...replay, spec, holders: holders.map((p) => p.id).sort() };
}
