import { KernelCommandError } from '../../agent/agent-error.js';
import { assertSafeArgs, type KernelExecutor, type RecordedCall } from '../../agent/kernel-executor.js';
import type { KernelProgram } from '../../agent/kernel-ops.js';

export interface FakeDevice {
  vni: number;
  local: string;
  learning: boolean;
  proxy: boolean;
  master: string | null;
  up: boolean;
  /** MAC -> destinations of `self permanent` entries. */
  fdb: Map<string, Set<string>>;
  /** IP -> MAC of PERMANENT neighbours. */
  neigh: Map<string, string>;
}

export interface FakeKernel extends KernelExecutor {
  readonly calls: RecordedCall[];
  readonly devices: Map<string, FakeDevice>;
  readonly bridges: Set<string>;
  /** Makes every mutating command whose argv includes this token fail (null: none). */
  failOn: string | null;
  /** A readable table of one device: sorted `mac dst` lines and `ip mac` lines. */
  table(dev: string): { fdb: string[]; neigh: string[] };
}

const missing = (argv: readonly string[], what: string) =>
  new KernelCommandError(argv, 2, `RTNETLINK answers: No such file or directory (${what})`);

/**
 * A model of the iproute2 commands the agent issues, just deep enough to assert end states
 * ("the device holds exactly these entries") instead of call sequences. Unknown commands throw.
 */
export function createFakeKernel(): FakeKernel {
  const devices = new Map<string, FakeDevice>();
  const bridges = new Set<string>();
  const calls: RecordedCall[] = [];

  const dev = (argv: readonly string[], name: string | undefined): FakeDevice => {
    const d = name === undefined ? undefined : devices.get(name);
    if (!d) throw new KernelCommandError(argv, 1, `Cannot find device "${name}"`);
    return d;
  };

  const exec = (program: KernelProgram, args: readonly string[]): string => {
    assertSafeArgs(args);
    const argv = [program, ...args];
    calls.push({ program, args: [...args] });
    if (kernel.failOn !== null && args.includes(kernel.failOn) && !args.includes('show')) {
      throw new KernelCommandError(argv, 2, 'RTNETLINK answers: Device or resource busy');
    }
    const a = [...args];
    const at = (word: string) => a[a.indexOf(word) + 1];
    if (program === 'ip' && a[0] === '-j' && a[1] === '-d' && a[2] === 'link') {
      const name = a[5] as string;
      const d = devices.get(name);
      if (d)
        return JSON.stringify([
          {
            ifname: name,
            master: d.master ?? undefined,
            flags: d.up ? ['UP'] : [],
            linkinfo: {
              info_kind: 'vxlan',
              info_data: { id: d.vni, local: d.local, port: 4789, learning: d.learning, proxy: d.proxy },
            },
          },
        ]);
      if (bridges.has(name))
        return JSON.stringify([{ ifname: name, flags: ['UP'], linkinfo: { info_kind: 'bridge' } }]);
      throw new KernelCommandError(argv, 1, `Device "${name}" does not exist.`);
    }
    if (program === 'ip' && a[0] === 'link' && a[1] === 'add') {
      const name = a[2] as string;
      if (devices.has(name) || bridges.has(name))
        throw new KernelCommandError(argv, 2, 'RTNETLINK answers: File exists');
      if (at('type') === 'bridge') bridges.add(name);
      else
        devices.set(name, {
          vni: Number(at('id')),
          local: at('local') as string,
          learning: a.includes('learning'),
          proxy: a.includes('proxy'),
          master: null,
          up: false,
          fdb: new Map(),
          neigh: new Map(),
        });
      return '';
    }
    if (program === 'ip' && a[0] === 'link' && a[1] === 'del') {
      if (!devices.delete(a[2] as string))
        throw new KernelCommandError(argv, 1, `Cannot find device "${a[2]}"`);
      return '';
    }
    if (program === 'ip' && a[0] === 'link' && a[1] === 'set') {
      const name = a[2] === 'dev' ? a[3] : a[2];
      if (bridges.has(name as string)) return '';
      const d = dev(argv, name);
      if (a.includes('type')) d.learning = a.includes('learning');
      if (a.includes('master')) d.master = at('master') as string;
      if (a.includes('up')) d.up = true;
      return '';
    }
    if (program === 'bridge' && a[0] === '-j') {
      const d = dev(argv, a[4]);
      return JSON.stringify(
        [...d.fdb].flatMap(([mac, dsts]) =>
          [...dsts].map((dst) => ({ mac, dst, flags: ['self'], state: 'permanent' })),
        ),
      );
    }
    if (program === 'ip' && a[0] === '-j' && a[1] === 'neigh') {
      const d = dev(argv, a[4]);
      return JSON.stringify([...d.neigh].map(([dst, lladdr]) => ({ dst, lladdr, state: ['PERMANENT'] })));
    }
    // The Linux bridge's own (learned) entries are not modelled: forgetting one always holds.
    if (program === 'bridge' && a[0] === 'fdb' && a.includes('master')) return '';
    if (program === 'bridge' && a[0] === 'fdb') {
      const d = dev(argv, at('dev'));
      const mac = a[2] as string;
      const dst = at('dst') as string;
      const set = d.fdb.get(mac) ?? new Set<string>();
      if (a[1] === 'append') set.add(dst);
      else if (a[1] === 'replace') {
        set.clear();
        set.add(dst);
      } else if (!d.fdb.has(mac)) throw missing(argv, mac);
      else set.delete(dst);
      if (set.size > 0) d.fdb.set(mac, set);
      else d.fdb.delete(mac);
      return '';
    }
    if (program === 'ip' && a[0] === 'neigh') {
      const d = dev(argv, at('dev'));
      const ip = a[2] as string;
      if (a[1] === 'replace') d.neigh.set(ip, at('lladdr') as string);
      else if (!d.neigh.delete(ip)) throw missing(argv, ip);
      return '';
    }
    throw new Error(`fake kernel does not know: ${argv.join(' ')}`);
  };

  const kernel: FakeKernel = {
    calls,
    devices,
    bridges,
    failOn: null,
    async run(program, args) {
      return exec(program, args);
    },
    async batch(program, lines) {
      for (const line of lines) assertSafeArgs(line);
      let failed: KernelCommandError | null = null;
      for (const line of lines) {
        try {
          exec(program, line);
        } catch (err) {
          failed ??= err as KernelCommandError;
        }
      }
      if (failed) throw failed;
    },
    table(name) {
      const d = devices.get(name);
      if (!d) return { fdb: [], neigh: [] };
      return {
        fdb: [...d.fdb].flatMap(([mac, dsts]) => [...dsts].map((dst) => `${mac} ${dst}`)).sort(),
        neigh: [...d.neigh].map(([ip, mac]) => `${ip} ${mac}`).sort(),
      };
    },
  };
  return kernel;
}
