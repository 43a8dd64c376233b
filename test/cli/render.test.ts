import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../tools/cli/render-html.js';
import { renderMarkdown } from '../../tools/cli/render-markdown.js';
import { renderTextTable } from '../../tools/cli/render-table.js';
import { EMPTY_USAGE } from '../../tools/local/metering-proxy.js';
import type { AbResult, StrategyRun } from '../../tools/sim/ab-run.js';
import { formatBlackHole, summarizeAb } from '../../tools/sim/ab-summary.js';
import { simulateFailover } from '../../tools/sim/failover-sim.js';
import { diagnoseNoGateway } from '../../tools/sim/gateway-diagnosis.js';
import type { PhaseResult } from '../../tools/sim/run-scenario.js';
import {
  binding,
  failover,
  KERNEL_PROXY,
  nodes,
  OVS,
  TUNNEL,
  VIP,
  vipFailover,
  vipTables,
} from '../sim/bed.js';

function strategyRun(
  strategy: 'tunnel' | 'master-binding',
  input: Parameters<typeof simulateFailover>[0],
): StrategyRun {
  const live = simulateFailover(input);
  const frozen = simulateFailover({ ...input, changes: [] });
  const spec = { router: 'r1', from: 'net1', to: 'net2', mode: 'graceful', reports: 'generate' } as const;
  const diagnosis = {
    subject: { kind: 'router', name: 'r1', from: 'net1', to: 'net2' } as const,
    interfaces: input.interfaces,
    capabilities: Object.fromEntries(input.nodes.map((n) => [n.host, n.capabilities])),
    initial: input.initial,
  };
  return {
    strategy,
    stackName: `s-${strategy}`,
    invocations: { count: 3, failedRecords: 0, errors: 0 },
    phases: [
      {
        name: 'graceful failover',
        events: 2,
        durationMs: 900,
        dynamo: {
          ...EMPTY_USAGE,
          requests: { GetItem: 5, TransactWriteItems: 1 },
          readUnits: 5,
          writeUnits: 4,
        },
        sqs: { ...EMPTY_USAGE, messages: 3, bytes: 1200 },
        applied: 3,
        converged: true,
        mismatches: [],
        failover: {
          spec,
          t0: 0,
          reportAt: 815,
          takeoverMs: 815,
          convergenceMs: strategy === 'tunnel' ? null : 85,
          applies: strategy === 'tunnel' ? [] : [{ at: 900, host: 'compute1', networkId: 'n1' }],
          live,
          frozen,
          vrrp: { gracefulMs: 815, nodeLossMs: 3500, garpRepeatMs: 5000, advertMs: 1000 },
          interfaces: input.interfaces.length,
          otherOwners: [],
          noGateway: diagnoseNoGateway({ ...diagnosis, outcome: live }),
          noGatewayControllerDown: diagnoseNoGateway({ ...diagnosis, outcome: frozen }),
          autoViews: [],
        },
      },
    ],
    converged: true,
    mismatches: [],
    down: [],
    agentErrors: [],
    dynamo: { ...EMPTY_USAGE, requests: { GetItem: 5, TransactWriteItems: 1 }, readUnits: 5, writeUnits: 4 },
    sqs: { ...EMPTY_USAGE, messages: 3, bytes: 1200 },
    fleet: { received: 3, bytes: 1200, gaps: 0, resyncs: 0 },
  };
}

/** The VIP bed's graceful failover hA -> hB (behind an ARP proxy) as a phase; master-binding moves the entry at 1115 ms. */
function vipPhase(strategy: 'tunnel' | 'master-binding'): PhaseResult {
  const input =
    strategy === 'tunnel'
      ? vipFailover()
      : vipFailover({ initial: vipTables('hA'), changes: vipTables('hB').map((t) => ({ ...t, at: 1115 })) });
  const live = simulateFailover(input);
  const frozen = simulateFailover({ ...input, changes: [] });
  const diagnosis = {
    subject: { kind: 'vip', name: `the VIP ${VIP.ip}`, from: 'hA', to: 'hB' } as const,
    interfaces: input.interfaces,
    capabilities: Object.fromEntries(input.nodes.map((n) => [n.host, n.capabilities])),
    initial: input.initial,
  };
  return {
    name: 'VIP failover',
    events: 1,
    durationMs: 300,
    dynamo: EMPTY_USAGE,
    sqs: EMPTY_USAGE,
    applied: 0,
    converged: true,
    mismatches: [],
    vipFailover: {
      spec: { networkId: 'n1', ip: VIP.ip, mac: VIP.mac, from: 'hA', to: 'hB', mode: 'graceful' },
      holders: ['vm-a', 'vm-b'],
      t0: 0,
      reportAt: 815,
      takeoverMs: 815,
      convergenceMs: strategy === 'tunnel' ? null : 300,
      applies: [],
      live,
      frozen,
      vrrp: { gracefulMs: 815, nodeLossMs: 3500, garpRepeatMs: 5000, advertMs: 1000 },
      noGateway: diagnoseNoGateway({ ...diagnosis, outcome: live }),
      noGatewayControllerDown: diagnoseNoGateway({ ...diagnosis, outcome: frozen }),
      autoViews: [],
    },
  };
}

/** `abResult()` with the VIP failover after the router's. */
function abResultWithVip(): AbResult {
  const ab = abResult();
  return {
    ...ab,
    results: ab.results.map((r) => ({
      ...r,
      phases: [...r.phases, vipPhase(r.strategy as 'tunnel' | 'master-binding')],
    })),
  };
}

function abResult(): AbResult {
  const mb = failover(nodes(KERNEL_PROXY, KERNEL_PROXY), binding('net1'));
  const changes = Object.entries(binding('net2')).map(([host, table]) => ({
    at: 900,
    host,
    networkId: 'n1',
    table,
  }));
  return {
    runId: 'abc123',
    startedAt: '2026-11-25T00:00:00.000Z',
    bootMs: 2000,
    totalMs: 40_000,
    results: [
      strategyRun('tunnel', failover(nodes(OVS, OVS, KERNEL_PROXY), TUNNEL)),
      strategyRun('master-binding', { ...mb, changes }),
    ],
  };
}

describe('the summary', () => {
  it('reads a black-hole the way the table prints it', () => {
    expect(formatBlackHole({ worstMs: 920, recovered: 3, never: 0, noPath: 0, vms: 3 })).toBe('0.92 s');
    expect(formatBlackHole({ worstMs: null, recovered: 0, never: 2, noPath: 1, vms: 3 })).toBe(
      'never ×2, 1 no path',
    );
    expect(formatBlackHole({ worstMs: 830, recovered: 1, never: 4, noPath: 0, vms: 5 })).toBe(
      'never ×4, else ≤ 0.83 s',
    );
  });

  it('has a cost row per strategy, a row per failover with a column per strategy, and the verdict', () => {
    const summary = summarizeAb(abResult());
    const [tunnel, mb] = summary.rows;
    expect(tunnel).toMatchObject({
      messages: 3,
      bytes: 1200,
      dynamoRequests: 6,
      readUnits: 5,
      writeUnits: 4,
    });
    expect(tunnel?.failovers[0]).toMatchObject({ convergenceMs: null, live: { never: 1, worstMs: null } });
    expect(mb?.failovers[0]?.live.worstMs).toBeGreaterThanOrEqual(900);
    expect(mb?.failovers[0]?.controllerDown).toMatchObject({ never: 1 });
    const text = renderTextTable(summary);
    expect(text).toMatch(/^tunnel\s+3\s+1\.2\s+6 \(5\/4\)\s+1\.00 \/ 1\s+yes$/m);
    expect(text).toMatch(/^failover\s+VRRP\s+tunnel\s+master-binding$/m);
    expect(text).toMatch(/^graceful failover\s+0\.82 s\s+1 never\s+0\.9\d s$/m);
    expect(text).toMatch(/^graceful failover\s+0\.82 s\s+none needed\s+0\.09 s$/m);
    expect(text).toMatch(
      /^verdict: pick master-binding: it brings back every VM that had a gateway, tunnel leaves 1 without one;/m,
    );
    expect(text).toContain(
      "  tunnel, graceful failover: compute1 (n1): an ARP-proxy node (net2) hosts r1: it drops the new master's GARPs",
    );
    expect(summary.verdict).toMatchObject({ measured: true, pick: 'master-binding' });
  });

  it('writes markdown with the table, the failovers and the command that reproduces it', () => {
    const md = renderMarkdown(summarizeAb(abResult()), { command: 'npx l2pop local', scenario: 'test' });
    expect(md).toContain('`npx l2pop local`');
    expect(md).toContain('**Verdict: pick master-binding: it brings back every VM');
    expect(md).toContain('| strategy | msgs | KiB | DynamoDB req (RCU/WCU) |');
    expect(md).toContain('| graceful failover | 0.82 s | none needed | 0.09 s |');
    expect(md).not.toContain('## Warnings');
    const warned = renderMarkdown(summarizeAb(abResult()), {
      command: 'npx l2pop ab x.json',
      scenario: 'x.json',
      warnings: ['router r1: no port of the input is its HA interface'],
    });
    expect(warned).toMatch(/## Warnings: .*\n\n- router r1: no port of the input is its HA interface\n$/);
  });

  it('writes a self-contained HTML report: inline SVG charts, no script, nothing fetched', () => {
    const ab = abResult();
    const html = renderHtml({
      summary: summarizeAb(ab),
      ab,
      scenario: 'test <cloud>',
      command: 'npx l2pop local',
      agentKinds: {},
    });
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"' ]+/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBe(2 + 5);
    expect(html).toContain('test &lt;cloud&gt;');
  });

  it('puts the VIP failover next to the router failover in every renderer, and the verdict says tunnel cannot serve it', () => {
    const ab = abResultWithVip();
    const summary = summarizeAb(ab);
    expect(summary.rows[0]?.failovers.map((f) => [f.kind, f.target])).toEqual([
      ['router', 'r1'],
      ['vip', `VIP ${VIP.ip}`],
    ]);
    const text = renderTextTable(summary);
    // tunnel: c1 (adverts) and c3 (flooding) at VRRP time, c2 behind the proxy never resolves it
    expect(text).toMatch(/^VIP failover\s+0\.82 s\s+0\.83 s, 1 no path\s+1\.13 s$/m);
    expect(text.replace(/\s+/g, ' ')).toContain(
      "tunnel, VIP failover: c2 (n1): its ARP-proxy agent holds no ARP entry for the VIP: it drops the VM's ARP request",
    );
    expect(summary.verdict.reason).toContain(
      'VIPs: master-binding reaches every VIP client (worst black-hole 1.13 s); ' +
        'tunnel cannot serve a VIP behind an ARP-proxy agent (1 with no path before a failover; 1 of them behind one)',
    );
    const md = renderMarkdown(summary, { command: 'npx l2pop local', scenario: 'test' });
    expect(md).toContain('| VIP failover | 0.82 s | none needed | 0.30 s |');
    const html = renderHtml({ summary, ab, scenario: 'test', command: 'npx l2pop local', agentKinds: {} });
    expect(html).toContain(`<h3>VIP failover: VIP ${VIP.ip} hA → hB, graceful, VRRP 0.82 s</h3>`);
    // a timeline per strategy and failover (2 x 2), and the 5 cost charts
    expect(html.match(/<svg /g)?.length).toBe(4 + 5);
  });
});
