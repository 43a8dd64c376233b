import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { NetworkState } from '../../src/app/ports.js';
import { EMPTY_COMMIT, type EventResult, guardNetwork } from '../../src/app/reconcile.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { computeDesiredNetwork } from '../../src/core/desired.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { observeFallbacks } from '../../src/runtime/observe.js';
import { createAppliedAgents, storedAgents } from '../support/applied-agents.js';
import { captureOutput } from '../support/emf.js';

/**
 * The runtime fallback through the use-cases (in-memory store, agents applying every command with
 * the shared protocol): a network record whose index disagrees with its facts makes the
 * incremental planner's precondition fail; the event still takes effect by the full recompute,
 * reports `fallback`, and leaves every agent with the table the facts give. Nothing throws, so
 * nothing would reach the DLQ.
 */
const NETWORK = { id: 'n1', name: 'n1', networkType: 'vxlan' as const, segmentId: 100 };
const HOSTS = ['c1', 'c2', 'c3'];
const ipOf = (host: string, n = 0) => `198.51.100.${HOSTS.indexOf(host) + 11 + n}`;

function report(host: string, revision: number, moved = 0): InboundEvent {
  return {
    type: 'agent.report',
    v: 1,
    host,
    tunnelIp: ipOf(host, moved),
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: true, arp: 'responder' },
    bootId: `${host}-boot`,
    revision,
  };
}

function vm(id: string, host: string, n: number): InboundEvent {
  return {
    type: 'port.upsert',
    v: 1,
    network: NETWORK,
    port: {
      id,
      networkId: 'n1',
      mac: `fa:16:3e:00:00:${10 + n}`,
      ips: [`10.1.0.${n}`],
      host,
      deviceOwner: 'compute:nova',
      deviceId: `i-${n}`,
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
    },
  };
}

function bed() {
  const { store, held, deps } = createAppliedAgents({ accept: ['applied', 'partial', 'duplicate'] });
  const send = (e: InboundEvent) => dispatchEvent(deps, e);
  /** Every agent holds what the full recompute of the stored facts gives. */
  const converged = async () => {
    const agents = await storedAgents(store, HOSTS);
    const desired = computeDesiredNetwork({
      network: NETWORK,
      agents,
      ports: await store.listNetworkPorts('n1'),
      routers: new Map(),
      flags: DEFAULT_FLAGS,
    });
    for (const h of HOSTS) expect(held.get(h)?.table ?? {}, h).toEqual(desired.views.get(h) ?? {});
    expect((await store.getNetworkState('n1'))?.index).toEqual(desired.index);
  };
  /** Overwrites the network record through the store's own guarded commit. */
  const corrupt = async (change: (s: NetworkState) => NetworkState) => {
    const state = (await store.getNetworkState('n1')) as NetworkState;
    expect(await store.commit({ ...EMPTY_COMMIT, networks: [guardNetwork(state, change(state))] })).toBe(
      'committed',
    );
  };
  return { send, converged, corrupt };
}

const withoutCount = (host: string) => (s: NetworkState) => {
  const counts = { ...s.index.counts };
  delete counts[host];
  return { ...s, index: { ...s.index, counts } };
};

async function started() {
  const b = bed();
  for (const h of HOSTS) await b.send(report(h, 1));
  for (const [i, h] of HOSTS.entries()) await b.send(vm(`vm${i}`, h, i + 1));
  await b.converged();
  return b;
}

const fallbacks = (r: EventResult) => r.networks.flatMap((n) => (n.fallback ? [n.fallback] : []));

describe('a precondition failure falls back to the full recompute at run time', () => {
  it('a port event on a record that lost a host falls back, heals the record, and the next event is incremental', async () => {
    const b = await started();
    await b.corrupt(withoutCount('c1'));
    const r = await b.send({ type: 'port.delete', v: 1, portId: 'vm0', networkId: 'n1', revision: 2 });
    expect(r.outcome).toBe('applied');
    expect(fallbacks(r)).toEqual(['ports/negative-count']);
    await b.converged();
    const next = await b.send(vm('vm9', 'c1', 9));
    expect(fallbacks(next)).toEqual([]);
    await b.converged();
  });

  it('an agent change on a record whose counts disagree with the ports falls back', async () => {
    const b = await started();
    await b.corrupt((s) => ({ ...s, index: { ...s.index, counts: { ...s.index.counts, c2: 5 } } }));
    const r = await b.send(report('c3', 2, 100));
    expect(fallbacks(r)).toEqual(['members/index-mismatch']);
    await b.converged();
  });

  it('a resync reads every port anyway, so it notices and heals a wrong count too', async () => {
    const b = await started();
    await b.corrupt(withoutCount('c3'));
    const r = await b.send({ type: 'agent.resync', v: 1, host: 'c2', networkId: 'n1', reason: 'manual' });
    expect(fallbacks(r)).toEqual(['snapshot/index-mismatch']);
    await b.converged();
  });

  it('the runtime logs each fallback at WARN and counts PlannerFallbacks by change kind', () => {
    const out = captureOutput();
    try {
      const rt = {
        logger: new Logger({ serviceName: 'port-events', logLevel: 'WARN' }),
        eventMetrics: new Metrics({ namespace: 'L2Pop/fallback-test', serviceName: 'port-events' }),
      };
      observeFallbacks(rt, { messageId: 'm1' }, 'port.delete', {
        outcome: 'applied',
        networks: [
          { networkId: 'n1', version: 4, commands: 3, fallback: 'ports/negative-count' },
          { networkId: 'n2', version: 2, commands: 1 },
        ],
        splitBrain: [],
        strategies: {},
      });
    } finally {
      out.restore();
    }
    expect(out.logs()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'planner fallback: n1 planned by the full recompute (ports/negative-count)',
        messageId: 'm1',
        networkId: 'n1',
        changeKind: 'ports',
        reason: 'negative-count',
      }),
    ]);
    const blobs = out.emf();
    expect(blobs).toHaveLength(1);
    expect(blobs[0]?.dimensionSets).toEqual([['service', 'changeKind', 'strategy']]);
    expect(blobs[0]?.values).toMatchObject({ changeKind: 'ports', strategy: 'none', PlannerFallbacks: 1 });
  });
});
