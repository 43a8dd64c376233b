import { isFloodingEntry } from '../../src/core/agent-protocol.js';
import { computeMember, computeRouterView, type Member } from '../../src/core/membership.js';
import type { Agent, AgentCapabilities, AgentTable, HaView, Network } from '../../src/core/types.js';
import type { FailoverOutcome, HaAddress } from './failover-sim.js';

/** A VM that had no gateway after a failover, and why, in words a reader of the report can check. */
export interface NoGateway {
  readonly host: string;
  readonly networkId: string;
  readonly ip: string;
  /** `never`: a path before the failure and none within the window; `no-path`: none even before. */
  readonly kind: 'never' | 'no-path';
  /** The VM's own agent runs a kernel ARP proxy (answers ARP only from its entries). */
  readonly behindProxy: boolean;
  readonly reason: string;
}

/** What failed over: an HA router between network nodes, or a VIP between the hosts of two VMs. */
export interface FailoverSubject {
  readonly kind: 'router' | 'vip';
  /** `r1`, or `the VIP 10.1.0.100`. */
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

export interface DiagnosisInput {
  readonly subject: FailoverSubject;
  readonly outcome: FailoverOutcome;
  readonly interfaces: readonly HaAddress[];
  readonly capabilities: Readonly<Record<string, AgentCapabilities>>;
  /** Tables held at the failure. */
  readonly initial: readonly { host: string; networkId: string; table: AgentTable }[];
}

const holdsArpEntry = (table: AgentTable | undefined, ip: string) =>
  Object.values(table ?? {}).some((entries) => entries.some((e) => !isFloodingEntry(e) && e[1] === ip));

/**
 * Why each VM is left without a gateway, from the rules of the data-plane model
 * (docs/local-stack.md, "Data plane"): a kernel ARP proxy drops every ARP reply and GARP a local
 * port sends, and drops an ARP request it holds no entry for. The first rule that holds is the
 * reason; a VM no rule explains gets the bare fact.
 */
export function diagnoseNoGateway(input: DiagnosisInput): NoGateway[] {
  const { subject, outcome, capabilities } = input;
  const proxy = (host: string) => capabilities[host]?.arp === 'proxy';
  const [holder, replier, target] =
    subject.kind === 'router' ? ['node', "the router's", 'the gateway'] : ['agent', "its owner's", 'the VIP'];
  return outcome.vms.flatMap((vm): NoGateway[] => {
    if (vm.okBefore && vm.outageMs !== null) return [];
    const base = { host: vm.host, networkId: vm.networkId, ip: vm.ip, behindProxy: proxy(vm.host) };
    const address = input.interfaces.find((i) => i.networkId === vm.networkId)?.ip ?? '';
    if (vm.okBefore) {
      const reason =
        proxy(subject.to) && outcome.garpCopies === 0
          ? `an ARP-proxy ${holder} (${subject.to}) hosts ${subject.name}: it drops the new master's GARPs`
          : `no reply from the new master (${subject.to}) within the window`;
      return [{ ...base, kind: 'never', reason }];
    }
    const table = input.initial.find((t) => t.host === vm.host && t.networkId === vm.networkId)?.table;
    let reason = `no path to ${subject.name} even before the failure`;
    if (proxy(subject.from))
      reason = `an ARP-proxy ${holder} (${subject.from}) hosts ${subject.name}: it drops ${replier} ARP replies`;
    else if (proxy(vm.host) && !holdsArpEntry(table, address))
      reason = `its ARP-proxy agent holds no ARP entry for ${target}: it drops the VM's ARP request`;
    return [{ ...base, kind: 'no-path', reason }];
  });
}

/**
 * The view each agent in the router's networks gets of it were it `auto` (`computeRouterView`,
 * the core's own rule): where a VM sits, and every agent that applied a command.
 */
export function computeAutoViews(input: {
  readonly hosting: readonly string[];
  readonly agents: readonly Agent[];
  readonly networks: readonly Network[];
}): { host: string; networkId: string; view: HaView }[] {
  return input.networks.flatMap((network) => {
    const members: Record<string, Member> = {};
    for (const a of input.agents) {
      const m = computeMember(a, network);
      if (m) members[a.host] = m;
    }
    return Object.entries(members)
      .filter(([host]) => !input.hosting.includes(host))
      .map(([host, m]) => ({
        host,
        networkId: network.id,
        view: computeRouterView(m, input.hosting, members),
      }))
      .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  });
}
