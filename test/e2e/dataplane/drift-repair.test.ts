import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from '../../../agent/create-agent.js';
import { createMemoryLogger } from '../../../agent/create-logger.js';
import { createSqsClient } from '../../../agent/create-sqs-client.js';
import { createExecFileExecutor } from '../../../agent/kernel-executor.js';
import { runAgent } from '../../../agent/run-agent.js';
import { createSqsTransport } from '../../../agent/sqs-transport.js';
import { buildFunctions } from '../../../scripts/build.mjs';
import { type QueueUrls, sendEvents } from '../../../src/adapters/aws/inbound-queues.js';
import type { InboundEvent } from '../../../src/contracts/events.js';
import { agentConfig, NET, NODE1, NODE2, VNI } from '../../agent/fixtures.js';
import { createDriftNamespaces, driftBedMissing } from './drift-namespaces.js';
import { type DataplaneController, startDataplaneController } from './local-controller.js';
import { RunRecord } from './run-record.js';

/**
 * Drift audit, end to end on the real kernel (issue 17, docs/drift-audit.md): the reference agent
 * programs vx-100 in a throwaway namespace from the real controller (DynamoDB Local, fauxqs, the
 * bundled handlers behind the event-source poller) and audits its kernel every PERIOD_MS. Each
 * kind of drift made by hand (a programmed FDB entry deleted, a stray permanent entry added, an ARP
 * entry dropped) is detected by the controller within one audit period and repaired by a snapshot
 * within 1 s of detection; entries the kernel learns from real VXLAN traffic and the bridge's own
 * entries never count. The figures go to test/e2e/results/drift-audit.json.
 */
const javaRuns = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
const missing = [
  ...driftBedMissing(),
  ...(javaRuns ? [] : ['java missing for DynamoDB Local (apt-get install openjdk-17-jre-headless)']),
];
const canRun = missing.length === 0;
const bed = createDriftNamespaces('l2r');
const { A, dev: DEV, inNs, fdbRows, neighRows } = bed;

const PERIOD_MS = 2000;
const HOST = 'compute1';
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const VM1 = { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1', host: 'node1' };
const VM2 = { mac: 'fa:16:3e:00:00:02', ip: '192.0.2.2', host: 'node2' };
const VM3 = { mac: 'fa:16:3e:00:00:03', ip: '192.0.2.3', host: HOST };
const NETWORK = { id: NET, name: NET, networkType: 'vxlan', segmentId: VNI } as const;

function topology(): InboundEvent[] {
  const report = (host: string, tunnelIp: string): InboundEvent => ({
    type: 'agent.report',
    v: 1,
    host,
    tunnelIp,
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: true, arp: 'responder' },
    bootId: `${host}-boot`,
    revision: 1,
  });
  const port = (vm: typeof VM1, i: number): InboundEvent => ({
    type: 'port.upsert',
    v: 1,
    network: { ...NETWORK },
    port: {
      id: `port-${i}`,
      networkId: NET,
      mac: vm.mac,
      ips: [vm.ip],
      deviceOwner: 'compute:nova',
      deviceId: `vm-${i}`,
      host: vm.host,
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
    },
  });
  return [report('node1', NODE1), report('node2', NODE2), port(VM1, 1), port(VM2, 2), port(VM3, 3)];
}

interface DriftFigure {
  readonly kind: string;
  /** From the hand-made change to the agent's first reading of it. */
  readonly readMs: number;
  /** From the change to the controller's verdict `drift` (its audit record). */
  readonly detectMs: number;
  /** From that verdict to the agent's apply of the repair snapshot. */
  readonly repairMs: number;
  /** Of which: from the verdict to the agent receiving the snapshot (controller, SQS)... */
  readonly deliverMs: number;
  /** ...and from receiving it to the kernel holding the view again (the agent's `ip`/`bridge` calls). */
  readonly applyMs: number;
}

describe.skipIf(!canRun)(
  `drift repair on the real kernel${canRun ? '' : `: SKIPPED, ${missing.join(', ')}`}`,
  () => {
    let controller: DataplaneController;
    let record: RunRecord;
    const stop = new AbortController();
    let loop: Promise<void> | undefined;
    let client: ReturnType<typeof createSqsClient>;
    /** Snapshots the agent applied, when. */
    const snapshots: number[] = [];
    /** Batches with a snapshot in them the agent received, when. */
    const received: number[] = [];
    const figures: DriftFigure[] = [];
    const auditsSent: number[] = [];

    beforeAll(async () => {
      bed.create();
      await buildFunctions({ logLevel: 'error' });
      record = new RunRecord(mkdtempSync(path.join(os.tmpdir(), 'l2dr-')));
      controller = await startDataplaneController(record, { build: false });
      client = createSqsClient({ region: 'us-east-1', endpoint: controller.endpoint, socketPath: undefined });
      const urls: QueueUrls = {
        PortEventsQueue: controller.queueUrl('port'),
        HaEventsQueue: controller.queueUrl('ha'),
        AgentEventsQueue: controller.queueUrl('agent'),
      };
      await sendEvents(client, urls, topology());
      const transport = createSqsTransport({
        client,
        commandQueue: { name: controller.agentQueueName(HOST) },
        eventQueueUrl: urls.AgentEventsQueue,
        host: HOST,
        waitTimeSeconds: 1,
      });
      const base = createAgent({
        config: agentConfig({ host: HOST, proxy: true, learning: true, bridgePrefix: 'br-' }),
        executor: createExecFileExecutor({ netns: A }),
        log: createMemoryLogger(),
        send: transport.send,
        now: () => Date.now(),
      });
      const agent: Agent = {
        ...base,
        async handle(body, correlationId) {
          const outcome = await base.handle(body, correlationId);
          if (outcome.kind === 'applied' && (JSON.parse(body) as { kind?: string }).kind === 'snapshot')
            snapshots.push(Date.now());
          return outcome;
        },
      };
      const send = transport.send;
      const counted = {
        ...transport,
        send: async (event: Parameters<typeof send>[0]) => {
          if (event.type === 'agent.audit') auditsSent.push(Date.now());
          await send(event);
        },
        receive: async (signal: AbortSignal) => {
          const batch = await transport.receive(signal);
          if (batch.some((m) => (JSON.parse(m.body) as { kind?: string }).kind === 'snapshot'))
            received.push(Date.now());
          return batch;
        },
      };
      loop = runAgent(agent, counted, stop.signal, { appliedReportMs: 500, auditMs: PERIOD_MS });
      await until('the agent holds its view and its audit matches', 60_000, async () => {
        const a = await lastAudit();
        return a?.result === 'match' && fdbRows().some((r) => r.mac === VM2.mac);
      });
    }, 180_000);

    afterAll(async () => {
      stop.abort();
      await loop;
      client?.destroy();
      await controller?.stop();
      await record?.teardown();
      bed.destroy();
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(
        `${RESULTS}drift-audit.json`,
        `${JSON.stringify(
          {
            generated_at: new Date().toISOString(),
            reproduce:
              'flock /tmp/l2pop-dataplane.lock npx vitest run --project dataplane test/e2e/dataplane/drift-repair.test.ts (as root)',
            machine: {
              kernel: os.release(),
              cpus: os.cpus().length,
              node: process.version,
              load: os.loadavg(),
            },
            audit_period_ms: PERIOD_MS,
            drifts: figures,
          },
          null,
          1,
        )}\n`,
      );
    });

    /** Polls `done` every `everyMs` (100: the figures come from timestamps, not from the polling). */
    async function until(what: string, timeoutMs: number, done: () => Promise<boolean>, everyMs = 100) {
      const deadline = Date.now() + timeoutMs;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
        await sleep(everyMs);
      }
    }

    /** The controller's last audit of (HOST, NET), from its per-agent audit record. */
    async function lastAudit() {
      return (await controller.auditRecord(HOST))?.networks[NET];
    }

    /** Makes the drift, then waits for the controller's verdict and the repair; returns the figures. */
    async function driftAndRepair(kind: string, make: () => void, repaired: () => boolean) {
      const t0 = Date.now();
      const snapshotsBefore = snapshots.length;
      const receivedBefore = received.length;
      make();
      expect(repaired(), `${kind}: the drift is in the kernel`).toBe(false);
      let detectedAt = 0;
      let readAt = 0;
      await until(`${kind}: the controller's verdict`, 4 * PERIOD_MS, async () => {
        const a = await lastAudit();
        if (a?.result !== 'drift' || a.at < t0) return false;
        detectedAt = a.at;
        readAt = a.readAt;
        return true;
      });
      await until(`${kind}: the repair snapshot`, 5000, async () => snapshots.length > snapshotsBefore, 10);
      const repairedAt = snapshots[snapshotsBefore] as number;
      expect(repaired(), `${kind}: the kernel holds the view again`).toBe(true);
      await until(`${kind}: the next audit matches`, 3 * PERIOD_MS, async () => {
        const a = await lastAudit();
        return a?.result === 'match' && a.at > repairedAt;
      });
      const receivedAt = received[receivedBefore] as number;
      const figure = {
        kind,
        readMs: readAt - t0,
        detectMs: detectedAt - t0,
        repairMs: repairedAt - detectedAt,
        deliverMs: receivedAt - detectedAt,
        applyMs: repairedAt - receivedAt,
      };
      figures.push(figure);
      return figure;
    }

    it('learned entries and the bridge’s own entries never count as drift', async () => {
      const remoteMac = bed.learnFromRemote();
      const rows = fdbRows();
      expect(rows).toContainEqual(expect.objectContaining({ mac: remoteMac, dst: NODE1, state: '' }));
      expect(rows).toContainEqual(expect.objectContaining({ mac: remoteMac, master: 'br-100', state: '' }));
      expect(rows).toContainEqual(expect.objectContaining({ master: 'br-100', state: 'permanent' }));
      const t0 = Date.now();
      const snapshotsBefore = snapshots.length;
      // two full audit periods with the learned entries in place
      await until('two audits after the learned entries', 4 * PERIOD_MS, async () => {
        const a = await lastAudit();
        return a !== undefined && a.readAt > t0 + PERIOD_MS;
      });
      expect((await lastAudit())?.result).toBe('match');
      expect(snapshots.length).toBe(snapshotsBefore);
    });

    it('a programmed FDB entry deleted by hand is detected within one period and repaired within 1 s', async () => {
      const f = await driftAndRepair(
        'programmed FDB entry deleted',
        () => inNs(A, 'bridge', 'fdb', 'del', VM1.mac, 'dev', DEV, 'dst', NODE1, 'self'),
        () => fdbRows().some((r) => r.mac === VM1.mac && r.dst === NODE1 && r.state === 'permanent'),
      );
      expect(f.readMs).toBeLessThanOrEqual(PERIOD_MS);
      expect(f.repairMs).toBeLessThanOrEqual(1000);
    });

    it('a stray permanent FDB entry is detected within one period and removed within 1 s', async () => {
      const stray = 'fa:16:3e:00:00:77';
      const f = await driftAndRepair(
        'stray permanent FDB entry',
        () => inNs(A, 'bridge', 'fdb', 'add', stray, 'dev', DEV, 'dst', '198.51.100.77', 'self', 'permanent'),
        () => !fdbRows().some((r) => r.mac === stray),
      );
      expect(f.readMs).toBeLessThanOrEqual(PERIOD_MS);
      expect(f.repairMs).toBeLessThanOrEqual(1000);
    });

    it('a dropped ARP entry is detected within one period and restored within 1 s', async () => {
      const f = await driftAndRepair(
        'ARP entry dropped',
        () => inNs(A, 'ip', 'neigh', 'del', VM2.ip, 'dev', DEV),
        () => neighRows().some((r) => r.dst === VM2.ip),
      );
      expect(f.readMs).toBeLessThanOrEqual(PERIOD_MS);
      expect(f.repairMs).toBeLessThanOrEqual(1000);
    });
  },
);
