import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../../agent/create-agent.js';
import { createMemoryLogger } from '../../../agent/create-logger.js';
import { createSqsClient } from '../../../agent/create-sqs-client.js';
import { haStateEvent, type KeepalivedState } from '../../../agent/parse-notify-args.js';
import { runAgent } from '../../../agent/run-agent.js';
import { sendHaState } from '../../../agent/send-ha-state.js';
import { createSqsTransport } from '../../../agent/sqs-transport.js';
import { buildFunctions } from '../../../scripts/build.mjs';
import { createFakeKernel, type FakeKernel } from '../../agent/fake-kernel.js';
import { agentConfig } from '../../agent/fixtures.js';
import { agentSpecs, SCENARIOS } from './failover-scenarios.js';
import { type DataplaneController, startDataplaneController } from './local-controller.js';
import { RunRecord } from './run-record.js';
import { flagEvents, ROUTER_ID, topologyEvents } from './scenario-events.js';
import {
  HOST_NAMES,
  HOSTS,
  type HostName,
  ROUTER_MAC,
  ROUTER_VIP,
  ROUTERS,
  type RouterName,
} from './topology.js';

const java = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
let built: Promise<unknown> | undefined;

interface Bed {
  readonly controller: DataplaneController;
  readonly kernels: Map<HostName, FakeKernel>;
  ha(rtr: RouterName, state: KeepalivedState, seqUs: number): Promise<void>;
  routerDst(host: HostName): string | undefined;
  stop(): Promise<void>;
}

/**
 * The failover bed's control plane without the kernel: the real local stack, fed the scenario's
 * events through its inbound queues, and one reference agent per host on a fake kernel, each
 * long-polling its own queue through the management socket as the agent processes do. HA states
 * go through the notify sender's own code (`haStateEvent` + `sendHaState`).
 */
async function startBed(scenarioId: string): Promise<Bed> {
  const scenario = SCENARIOS.find((s) => s.id === scenarioId);
  if (!scenario) throw new Error(scenarioId);
  built ??= buildFunctions({ logLevel: 'error' });
  await built;
  const record = new RunRecord(mkdtempSync(path.join(os.tmpdir(), 'l2fo-fake-')));
  const controller = await startDataplaneController(record, { build: false });
  const client = createSqsClient({
    region: 'us-east-1',
    endpoint: controller.endpoint,
    socketPath: controller.socketPath,
  });
  const stop = new AbortController();
  const kernels = new Map<HostName, FakeKernel>();
  const loops: Promise<void>[] = [];
  for (const spec of agentSpecs(scenario)) {
    const kernel = createFakeKernel();
    kernels.set(spec.host, kernel);
    const transport = createSqsTransport({
      client,
      commandQueue: { name: controller.agentQueueName(spec.host) },
      eventQueueUrl: controller.queueUrl('agent'),
      host: spec.host,
      waitTimeSeconds: 1,
    });
    const config = agentConfig({
      host: spec.host,
      tunnelIp: HOSTS[spec.host].underlayIp,
      learning: spec.learning,
      proxy: spec.arp === 'proxy',
      bridgePrefix: 'br-',
    });
    const agent = createAgent({
      config,
      executor: kernel,
      log: createMemoryLogger(),
      send: transport.send,
      now: Date.now,
    });
    loops.push(runAgent(agent, transport, stop.signal));
  }
  await controller.send(flagEvents(scenario.strategy));
  await controller.settled([], 20_000);
  await controller.send(topologyEvents(false));
  await controller.settled(HOST_NAMES, 30_000);
  return {
    controller,
    kernels,
    async ha(rtr, state, seqUs) {
      const target = { routerId: ROUTER_ID, host: ROUTERS[rtr].host, term: 0 };
      await sendHaState(client, controller.queueUrl('ha'), haStateEvent({ ...target, ...SQS }, state, seqUs));
      await controller.settled(HOST_NAMES, 20_000);
    },
    routerDst: (host) =>
      kernels
        .get(host)
        ?.table('vx-100')
        .fdb.find((l) => l.startsWith(ROUTER_MAC)),
    async stop() {
      stop.abort();
      await Promise.all(loops);
      client.destroy();
      await controller.stop();
      await record.teardown();
    },
  };
}

/** The sender's target fields that do not matter to the event it builds. */
const SQS = { queueUrl: 'http://unused', endpoint: undefined, socketPath: undefined, region: 'us-east-1' };

describe.skipIf(!java)(
  `the local controller with reference agents on fake kernels${java ? '' : ': SKIPPED, java missing for DynamoDB Local (apt-get install openjdk-17-jre-headless)'}`,
  () => {
    let bed: Bed | undefined;
    afterEach(async () => {
      await bed?.stop();
      bed = undefined;
    });

    it('master-binding: points the router MAC at the master and moves it on failover', async () => {
      bed = await startBed('master-binding');
      await bed.ha('rtr1', 'MASTER', 1000);
      await bed.ha('rtr2', 'BACKUP', 1001);
      expect(bed.routerDst('compute1')).toBe(`${ROUTER_MAC} 198.51.100.21`);
      expect(bed.kernels.get('compute1')?.table('vx-100').neigh).toContain(`${ROUTER_VIP} ${ROUTER_MAC}`);
      await bed.ha('rtr1', 'STOP', 2000);
      await bed.ha('rtr2', 'MASTER', 2800);
      expect(bed.routerDst('compute1')).toBe(`${ROUTER_MAC} 198.51.100.22`);
      expect(bed.routerDst('compute2')).toBe(`${ROUTER_MAC} 198.51.100.22`);
      // The new master's host holds the VMs' ARP entries: its proxy answers the router's requests.
      expect(bed.kernels.get('net2')?.table('vx-100').neigh).toEqual([
        '192.0.2.10 fa:16:3e:00:00:10',
        '192.0.2.20 fa:16:3e:00:00:20',
      ]);
      // A late, older report does not win back the binding (guarantee 4, docs/architecture.md).
      await bed.ha('rtr1', 'MASTER', 1500);
      expect(bed.routerDst('compute1')).toBe(`${ROUTER_MAC} 198.51.100.22`);
    });

    it('tunnel: floods to both network nodes and writes no router entry', async () => {
      bed = await startBed('tunnel');
      await bed.ha('rtr1', 'MASTER', 1000);
      expect(bed.routerDst('compute1')).toBeUndefined();
      expect(bed.kernels.get('compute1')?.table('vx-100').fdb).toEqual(
        expect.arrayContaining(['00:00:00:00:00:00 198.51.100.21', '00:00:00:00:00:00 198.51.100.22']),
      );
    });

    it('auto: only the non-learning compute gets the router entry, and it moves', async () => {
      bed = await startBed('auto');
      await bed.ha('rtr1', 'MASTER', 1000);
      expect(bed.routerDst('compute1')).toBeUndefined();
      expect(bed.routerDst('compute2')).toBe(`${ROUTER_MAC} 198.51.100.21`);
      await bed.ha('rtr2', 'MASTER', 2000);
      expect(bed.routerDst('compute2')).toBe(`${ROUTER_MAC} 198.51.100.22`);
    });
  },
);
