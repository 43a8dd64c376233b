import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { LOCAL, NODE1, VNI } from '../../agent/fixtures.js';

export const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const runs = (program: string, args: string[]) => spawnSync(program, args, { stdio: 'ignore' }).status === 0;

/** Why the drift beds cannot run here (empty: they can). */
export function driftBedMissing(): string[] {
  return [
    process.getuid?.() === 0 ? null : 'not root (network namespaces need root)',
    runs('ip', ['-V']) ? null : 'iproute2 missing',
    runs('ping', ['-V']) ? null : 'ping missing (apt-get install iputils-ping)',
  ].filter((m): m is string => m !== null);
}

export interface FdbRow {
  readonly mac: string;
  readonly dst?: string;
  readonly master?: string;
  readonly flags: string[];
  readonly state?: string;
}

/**
 * The drift beds' two throwaway namespaces joined by a veth underlay: A is the agent's host (VTEP
 * LOCAL), B a remote VTEP (NODE1) whose own vxlan device sends A real encapsulated frames for A's
 * kernel to learn from. Names carry the test process's pid and random bytes, so beds never collide.
 */
export function createDriftNamespaces(prefix: string) {
  const tag = `${process.pid % 10_000}${randomBytes(2).toString('hex')}`;
  const A = `${prefix}a-${tag}`;
  const B = `${prefix}b-${tag}`;
  const dev = `vx-${VNI}`;
  const inNs = (ns: string, program: string, ...args: string[]) =>
    execFileSync('ip', ['netns', 'exec', ns, program, ...args], { encoding: 'utf8' });
  /** `program`'s JSON about vx-100 in A; nothing while the agent has not created the device. */
  const readJson = <T>(program: string, ...args: string[]): T[] =>
    runs('ip', ['-n', A, 'link', 'show', 'dev', dev]) ? (JSON.parse(inNs(A, program, ...args)) as T[]) : [];
  return {
    A,
    B,
    dev,
    inNs,
    fdbRows: () => readJson<FdbRow>('bridge', '-j', 'fdb', 'show', 'dev', dev),
    neighRows: () => readJson<{ dst: string; lladdr?: string }>('ip', '-j', 'neigh', 'show', 'dev', dev),
    create(): void {
      for (const ns of [A, B]) {
        ip('netns', 'add', ns);
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
      ip('-n', A, 'link', 'add', 'ul', 'type', 'veth', 'peer', 'name', 'ul', 'netns', B);
      ip('-n', A, 'addr', 'add', `${LOCAL}/24`, 'dev', 'ul');
      ip('-n', B, 'addr', 'add', `${NODE1}/24`, 'dev', 'ul');
      for (const ns of [A, B]) ip('-n', ns, 'link', 'set', 'ul', 'up');
    },
    destroy(): void {
      for (const ns of [A, B]) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // already gone
        }
      }
    },
    /**
     * B's vxlan device sends ARP requests for an absent host, broadcast and encapsulated to LOCAL,
     * until A's bridge has learned B's MAC. Returns that MAC.
     */
    learnFromRemote(): string | undefined {
      ip(
        '-n',
        B,
        'link',
        'add',
        dev,
        'type',
        'vxlan',
        'id',
        String(VNI),
        'local',
        NODE1,
        'remote',
        LOCAL,
        'dstport',
        '4789',
      );
      ip('-n', B, 'addr', 'add', '10.99.0.2/24', 'dev', dev);
      ip('-n', B, 'link', 'set', dev, 'up');
      const remoteMac = (
        JSON.parse(ip('-j', '-n', B, 'link', 'show', 'dev', dev)) as { address: string }[]
      )[0]?.address;
      for (let i = 0; i < 20 && !this.fdbRows().some((r) => r.mac === remoteMac && r.master); i++) {
        try {
          inNs(B, 'ping', '-c', '1', '-W', '0.2', '10.99.0.1');
        } catch {
          // nobody answers: only the frames matter
        }
      }
      return remoteMac;
    },
  };
}
