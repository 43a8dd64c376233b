import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NotifyHooks } from './notify-hooks.js';
import { HARNESS_ENV } from './run-command.js';
import type { RunRecord } from './run-record.js';
import { HA_VIP, ROUTER_VIP, ROUTERS, type RouterName, type Topology } from './topology.js';

/** dataplane.md's working configuration: both BACKUP, priority 50, nopreempt, advert 1 s, Neutron-style VIPs. */
export function keepalivedConfig(rtr: RouterName, hooks: NotifyHooks): string {
  const hook = (state: string) => `"${hooks.scripts[rtr]} ${state}"`;
  const reporter = hooks.reporters?.[rtr];
  const fifo = reporter
    ? `\n  vrrp_notify_fifo ${reporter.fifo}\n  vrrp_notify_fifo_script "${reporter.script}"`
    : '';
  return `global_defs {
  router_id ${rtr}
  vrrp_garp_master_repeat 3${fifo}
}
vrrp_instance VR_1 {
  state BACKUP
  interface ha
  virtual_router_id 1
  priority 50
  nopreempt
  advert_int 1
  garp_master_delay 5
  virtual_ipaddress {
    ${HA_VIP}/32 dev ha
  }
  virtual_ipaddress_excluded {
    ${ROUTER_VIP}/24 dev qr
  }
  notify_master ${hook('MASTER')}
  notify_backup ${hook('BACKUP')}
  notify_fault ${hook('FAULT')}
  notify_stop ${hook('STOP')}
}
`;
}

export interface KeepalivedHandle {
  readonly rtr: RouterName;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * Starts keepalived in the router's namespace, in the foreground (`-n`), so the spawned PID is
 * keepalived itself (`ip netns exec` execs it) and can be signalled and recorded. Each instance
 * has its own pid files, so the two never share /run/keepalived.pid.
 */
export function startKeepalived(
  record: RunRecord,
  topology: Topology,
  rtr: RouterName,
  hooks: NotifyHooks,
): KeepalivedHandle {
  const dir = record.dir;
  const conf = path.join(dir, `ka-${rtr}.conf`);
  writeFileSync(conf, keepalivedConfig(rtr, hooks));
  const log = openSync(path.join(dir, `ka-${rtr}.log`), 'a');
  const pid = (kind: string) => path.join(dir, `ka-${rtr}.${kind}.pid`);
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      topology.ns[rtr],
      'keepalived',
      '-f',
      conf,
      '-n',
      '-l',
      '-D',
      '--no-syslog',
      '-P',
      '-p',
      pid('main'),
      '-r',
      pid('vrrp'),
      '-c',
      pid('chk'),
    ],
    { env: HARNESS_ENV, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  record.addProcess(child.pid, `keepalived ${rtr} (${ROUTERS[rtr].host})`, 'keepalived');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { rtr, child, exited };
}

/** Graceful stop: SIGTERM makes keepalived send a priority-0 advert and drop its VIPs at once. */
export async function stopKeepalived(handle: KeepalivedHandle, timeoutMs = 5000): Promise<void> {
  if (handle.child.exitCode !== null || handle.child.signalCode !== null) return;
  handle.child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
  if ((await Promise.race([handle.exited, timer])) === 'timeout') {
    handle.child.kill('SIGKILL');
    await handle.exited;
  }
}
