import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { LocalPortRecord } from '../src/contracts/commands.js';
import { type VipClaimEvent, vipClaimV1 } from '../src/contracts/events.js';
import { aapSchema, hostIpSchema, idSchema, LIMITS, macSchema } from '../src/contracts/primitives.js';
import { pairCovers } from '../src/core/aap.js';
import type { AgentLogger } from './create-logger.js';
import { MAX_IFNAME } from './kernel-values.js';
import {
  type Announcement,
  type DropReason,
  decodeFrame,
  PcapFormatError,
  PcapStream,
} from './parse-announcement.js';

/**
 * One local port the agent watches for VIP announcements: its device on this host and the ids the
 * claim names. The port's MAC, fixed IPs and allowed-address pairs come from the controller (the
 * `localPorts` of its commands, `Agent.localPort`); the file may also list them, and they are then
 * used only until the controller's record of the port arrives (the controller's view wins). An
 * announcement no pair allows is dropped here and counted; the controller refuses such a claim in
 * any case (`no_matching_aap`, docs/vip.md).
 */
export const watchedPortSchema = z
  .strictObject({
    dev: z
      .string()
      .max(MAX_IFNAME)
      .regex(/^[a-z][a-z0-9.-]*$/, 'a device name'),
    networkId: idSchema,
    portId: idSchema,
    mac: macSchema.optional(),
    ips: z.array(hostIpSchema).max(LIMITS.maxIpsPerPort).optional(),
    allowedAddressPairs: z.array(aapSchema).max(LIMITS.maxAllowedAddressPairs).optional(),
  })
  .refine((p) => p.allowedAddressPairs === undefined || p.mac !== undefined, {
    message: 'a port with allowedAddressPairs needs its mac (the default MAC of its pairs)',
    path: ['mac'],
  })
  .transform(({ allowedAddressPairs, ...port }) => ({
    ...port,
    // As Neutron stores them: a pair without a MAC takes the port's.
    ...(allowedAddressPairs === undefined
      ? {}
      : {
          allowedAddressPairs: allowedAddressPairs.map((pair) => ({
            ipAddress: pair.ipAddress,
            macAddress: pair.macAddress ?? (port.mac as string),
          })),
        }),
  }));
export type WatchedPort = z.output<typeof watchedPortSchema>;

export const watchedPortsSchema = z
  .array(watchedPortSchema)
  .max(256)
  .superRefine((ports, ctx) => {
    for (const key of ['dev', 'portId'] as const) {
      const seen = new Set<string>();
      for (const p of ports) {
        if (seen.has(p[key])) ctx.addIssue({ code: 'custom', message: `${key} ${p[key]} is watched twice` });
        seen.add(p[key]);
      }
    }
  });

/** `--vip-ports FILE`: a JSON array of watched ports, validated as strictly as a command. */
export function readWatchedPorts(file: string): WatchedPort[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RangeError(`--vip-ports ${file}: ${(err as Error).message}`);
  }
  const parsed = watchedPortsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(
      `--vip-ports ${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/**
 * What an announcement was checked against: the controller's record of the port, the file's
 * pairs (before that record arrived), or nothing (forwarded unchecked: the controller decides).
 */
export type ClaimBasis = 'controller' | 'file' | 'unverified';

export type ClaimDecision =
  | { readonly kind: 'claim'; readonly basis: ClaimBasis }
  | { readonly kind: 'own_address' }
  | { readonly kind: 'dropped'; readonly reason: 'no_matching_aap' | 'mac_mismatch' };

/** The MAC, fixed IPs and pairs a decision reads, from the controller's record or from the file. */
interface PortFacts {
  readonly mac: string | undefined;
  readonly ips: readonly string[] | undefined;
  readonly allowedAddressPairs:
    | readonly { readonly ipAddress: string; readonly macAddress: string }[]
    | undefined;
}

/**
 * Whether an announcement seen on `port` becomes a claim. `record` is the controller's record of
 * the port (`Agent.localPort`); when present it decides, whatever the file lists. Without it the
 * file's MAC, IPs and pairs decide when it lists pairs; otherwise the claim is forwarded
 * `unverified`. A VM announcing its own fixed IP at its own MAC is ordinary (a boot, a link flap),
 * not a VIP claim. Otherwise the rule is the controller's (`checkVipClaim`): a pair must cover the
 * address, and the MAC must be that pair's or the port's own.
 */
export function decideClaim(port: WatchedPort, a: Announcement, record?: LocalPortRecord): ClaimDecision {
  const facts: PortFacts = record ?? {
    mac: port.mac,
    ips: port.ips,
    allowedAddressPairs: port.allowedAddressPairs,
  };
  if (facts.mac === a.mac && facts.ips?.includes(a.ip)) return { kind: 'own_address' };
  if (facts.allowedAddressPairs === undefined) return { kind: 'claim', basis: 'unverified' };
  const covering = facts.allowedAddressPairs.filter((pair) => pairCovers(pair, a.ip));
  if (covering.length === 0) return { kind: 'dropped', reason: 'no_matching_aap' };
  const allowed = covering.some((pair) => pair.macAddress === a.mac) || a.mac === facts.mac;
  return allowed
    ? { kind: 'claim', basis: record ? 'controller' : 'file' }
    : { kind: 'dropped', reason: 'mac_mismatch' };
}

/** A running capture of one device: its pcap stream, and how to stop it. */
export interface Capture {
  readonly stdout: NodeJS.ReadableStream;
  readonly exited: Promise<void>;
  stop(): void;
}

/**
 * tcpdump, as an argument array (no shell), on one device: only what the VM sent (`-Q in`: a
 * frame flooded to the VM from elsewhere must never become this port's claim), delivered at once
 * (`--immediate-mode`, `-U`), as pcap on stdout. The filter keeps ARP and ICMPv6 neighbour
 * advertisements (type 136 right after the IPv6 header; the decoder checks everything again).
 */
export function tcpdumpArgs(dev: string): string[] {
  return [
    ...['-i', dev, '-Q', 'in', '-p', '-n', '-U', '--immediate-mode', '-s', '512', '-w', '-'],
    'arp or (icmp6 and ip6[40] == 136)',
  ];
}

export function spawnTcpdump(dev: string, netns: string | undefined): Capture {
  const argv =
    netns === undefined
      ? ['tcpdump', ...tcpdumpArgs(dev)]
      : ['ip', 'netns', 'exec', netns, 'tcpdump', ...tcpdumpArgs(dev)];
  const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), {
    shell: false,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    stdout: child.stdout as NodeJS.ReadableStream,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

export type ClaimDropReason = DropReason | 'no_matching_aap' | 'mac_mismatch';

export interface ClaimWatcherDeps {
  readonly host: string;
  readonly ports: readonly WatchedPort[];
  /** The controller's record of a port bound to this host (`Agent.localPort`); absent: none ever. */
  readonly localPort?: (networkId: string, portId: string) => LocalPortRecord | undefined;
  readonly send: (event: VipClaimEvent) => Promise<void>;
  readonly log: AgentLogger;
  /** Epoch ms from a clock that never steps back (the contract's `at`). */
  readonly now: () => number;
  readonly capture: (dev: string) => Capture;
  /** Milliseconds before a capture that ended is started again (default 1000). */
  readonly restartMs?: number;
  /** The burst window: repeats of a claim within it are not sent (default `CLAIM_BURST_WINDOW_MS`). */
  readonly burstWindowMs?: number;
  /** Sends claims in one request (`AgentTransport.sendBatch`); needed for `gatherMs`. */
  readonly sendBatch?: (events: readonly VipClaimEvent[]) => Promise<void>;
  /**
   * Claims decoded within this many ms of the first are sent together (`sendBatch`), so they
   * reach the controller's batch together (default 0: each at once; `CLAIM_GATHER_MS` in the
   * agent).
   */
  readonly gatherMs?: number;
}

export interface ClaimWatcher {
  /** Counts of dropped announcements, per reason. */
  readonly dropped: ReadonlyMap<ClaimDropReason, number>;
  /** Claims sent so far. */
  readonly sent: number;
  /**
   * Claims sent unchecked: no record of the port from the controller yet and no pairs in the file
   * (the controller refuses a claim no pair allows, so nothing wrong is bound; it costs a commit).
   */
  readonly unverified: number;
  /** Announcements not sent because they repeat a claim sent within the burst window. */
  readonly repeats: number;
  /** Feeds one port's pcap bytes (what a capture's stdout delivers). */
  feed(dev: string, chunk: Uint8Array): void;
  stop(): Promise<void>;
}

/** Dropped announcements logged one line each per reason; the rest are only counted. */
export const MAX_DROP_LINES = 20;

/**
 * keepalived sends each address's announcement `vrrp_garp_master_repeat` times back to back (a
 * few ms apart), then again in a second burst `vrrp_garp_master_delay` (5 s) later. The controller
 * handles one host's claims one at a time, so the repeats of the first addresses would delay the
 * claims of the next ones (docs/vip.md, "The agent's claim watcher"). Within this window after a
 * claim is sent, an announcement of the same address at the same MAC on the same port is counted,
 * not sent; a different MAC, or a later burst, is sent at once.
 */
export const CLAIM_BURST_WINDOW_MS = 1000;

/**
 * A keepalived failover announces every address of its instances back to back (four claims
 * 1-32 ms apart on the kernel bed). The event-source poller wakes on the first message, so a
 * claim sent alone is a batch and a commit of its own, and the next claims wait for it (~300 ms
 * a commit on the loaded bed, docs/vip.md "Proof on the kernel"); gathered for 10 ms and sent in
 * one SendMessageBatch, they are one batch, one commit. The price: 10 ms on a claim.
 */
export const CLAIM_GATHER_MS = 10;

/** The burst windows kept at most; past it the expired ones are swept (a VM announcing many addresses). */
const MAX_WINDOWS = 4096;

/**
 * Watches the local ports for VIP announcements and sends one `vip.claim` per announcement it
 * accepts, stamped with the agent's monotonic epoch clock and a sequence that grows per agent
 * process (the contract's order: `at`, then `host`, then `seq`), except the repeats of a burst:
 * one claim per (port, address, MAC) per `CLAIM_BURST_WINDOW_MS`. keepalived announces again in
 * later bursts, so a claim lost or misordered is corrected by the next burst's; a claim whose send
 * failed closes its window, so the next repeat is sent.
 */
export function createClaimWatcher(deps: ClaimWatcherDeps): ClaimWatcher {
  const dropped = new Map<ClaimDropReason, number>();
  const streams = new Map<string, PcapStream>();
  const captures = new Map<string, Capture>();
  const byDev = new Map(deps.ports.map((p) => [p.dev, p]));
  let seq = 0;
  let sent = 0;
  let unverified = 0;
  let repeats = 0;
  let stopping = false;
  const windowMs = deps.burstWindowMs ?? CLAIM_BURST_WINDOW_MS;
  const gatherMs = deps.gatherMs ?? 0;
  /** Claims waiting for the gather window to close, with what a failed send does to each. */
  let gathered: { event: VipClaimEvent; failed: (err: unknown) => void }[] = [];
  let gatherTimer: NodeJS.Timeout | null = null;
  /** Sends what was gathered in one request; a failure reopens every claim's burst window. */
  const flushGathered = () => {
    if (gatherTimer) clearTimeout(gatherTimer);
    gatherTimer = null;
    const batch = gathered;
    gathered = [];
    if (batch.length === 0) return;
    const send =
      batch.length > 1 && deps.sendBatch
        ? deps.sendBatch(batch.map((b) => b.event))
        : deps.send((batch[0] as (typeof batch)[number]).event);
    send.catch((err: unknown) => {
      for (const b of batch) b.failed(err);
    });
  };
  /** (dev, ip, mac) -> when its last claim was sent. */
  const lastSent = new Map<string, number>();
  const openWindow = (key: string, at: number) => {
    lastSent.delete(key); // re-inserted last: the map stays in sending order
    lastSent.set(key, at);
    if (lastSent.size <= MAX_WINDOWS) return;
    for (const [k, t] of lastSent) {
      if (at - t < windowMs && lastSent.size <= MAX_WINDOWS) break;
      lastSent.delete(k);
    }
  };

  const drop = (port: WatchedPort, reason: ClaimDropReason, fields: Record<string, unknown>) => {
    const n = (dropped.get(reason) ?? 0) + 1;
    dropped.set(reason, n);
    if (n <= MAX_DROP_LINES)
      deps.log.warn('vip_claim_dropped', { portId: port.portId, dev: port.dev, reason, count: n, ...fields });
  };

  const onFrame = (port: WatchedPort, frame: Uint8Array) => {
    const decoded = decodeFrame(frame);
    if (decoded.kind === 'ignored') return;
    if (decoded.kind === 'dropped') {
      drop(port, decoded.reason, { detail: decoded.detail });
      return;
    }
    const a = decoded.announcement;
    const decision = decideClaim(port, a, deps.localPort?.(port.networkId, port.portId));
    if (decision.kind === 'own_address') return;
    if (decision.kind === 'dropped') {
      drop(port, decision.reason, { ip: a.ip, mac: a.mac });
      return;
    }
    const key = `${port.dev}\u0000${a.ip}\u0000${a.mac}`;
    const at = Math.floor(deps.now());
    const last = lastSent.get(key);
    if (last !== undefined && at - last < windowMs) {
      repeats++;
      return;
    }
    const claim = vipClaimV1.safeParse({
      type: 'vip.claim',
      v: 1,
      host: deps.host,
      networkId: port.networkId,
      portId: port.portId,
      ip: a.ip,
      mac: a.mac,
      kind: a.kind,
      at,
      seq: seq++,
    });
    if (!claim.success) {
      drop(port, 'invalid_ip', { detail: claim.error.issues[0]?.message });
      return;
    }
    sent++;
    if (decision.basis === 'unverified') unverified++;
    openWindow(key, at);
    deps.log.info('vip_claim', {
      portId: port.portId,
      ip: a.ip,
      mac: a.mac,
      kind: a.kind,
      at: claim.data.at,
      seq: claim.data.seq,
      networkId: port.networkId,
      basis: decision.basis,
    });
    const failed = (err: unknown) => {
      if (lastSent.get(key) === at) lastSent.delete(key);
      deps.log.warn('vip_claim_send_failed', { portId: port.portId, ip: a.ip, error: String(err) });
    };
    if (gatherMs > 0 && deps.sendBatch) {
      gathered.push({ event: claim.data, failed });
      gatherTimer ??= setTimeout(flushGathered, gatherMs);
      return;
    }
    deps.send(claim.data).catch(failed);
  };

  const feed = (dev: string, chunk: Uint8Array) => {
    const port = byDev.get(dev);
    const stream = streams.get(dev);
    if (!port || !stream) return;
    let frames: Uint8Array[];
    try {
      frames = stream.push(chunk);
    } catch (err) {
      if (!(err instanceof PcapFormatError)) throw err;
      deps.log.error('vip_capture_corrupt', { dev, error: err.message });
      captures.get(dev)?.stop(); // restarted with a fresh stream
      streams.delete(dev);
      return;
    }
    for (const frame of frames) onFrame(port, frame);
  };

  const start = (port: WatchedPort) => {
    if (stopping) return;
    streams.set(port.dev, new PcapStream());
    const capture = deps.capture(port.dev);
    captures.set(port.dev, capture);
    capture.stdout.on('data', (chunk: Uint8Array) => feed(port.dev, chunk));
    void capture.exited.then(() => {
      if (stopping) return;
      deps.log.warn('vip_capture_ended', { dev: port.dev });
      setTimeout(() => start(port), deps.restartMs ?? 1000).unref();
    });
  };
  for (const port of deps.ports) start(port);

  return {
    dropped,
    get sent() {
      return sent;
    },
    get unverified() {
      return unverified;
    },
    get repeats() {
      return repeats;
    },
    feed,
    async stop() {
      stopping = true;
      flushGathered();
      for (const c of captures.values()) c.stop();
      await Promise.all([...captures.values()].map((c) => c.exited));
    },
  };
}
