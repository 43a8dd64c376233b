import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTERS, type RouterName } from './topology.js';

/** Everything written into a hook script is a plain token, so single quotes keep it literal. */
const SAFE_TOKEN = /^[A-Za-z0-9_.:/-]+$/;

function quoted(value: string): string {
  if (!SAFE_TOKEN.test(value)) throw new Error(`unsafe value for a hook script: ${JSON.stringify(value)}`);
  return `'${value}'`;
}

/**
 * How the HA state reaches the controller:
 * - `fifo` (default): keepalived writes each transition to its `vrrp_notify_fifo`, read by one
 *   long-running sender per keepalived (`vrrp_notify_fifo_script`), already connected;
 * - `exec`: every transition's notify hook execs a fresh sender process.
 */
export const NOTIFY_MODES = ['fifo', 'exec'] as const;
export type NotifyMode = (typeof NOTIFY_MODES)[number];

/** The bundled sender and the HA queue behind the management socket. */
export interface HaSender {
  readonly node: string;
  readonly bundle: string;
  readonly routerId: string;
  readonly queueUrl: string;
  readonly endpoint: string;
  readonly socketPath: string;
}

export interface NotifyHooks {
  readonly mode: NotifyMode;
  /** Per router, the notify_master/backup/fault/stop script; its argument is the state. */
  readonly scripts: Readonly<Record<RouterName, string>>;
  /** `fifo` mode: per router, keepalived's notify FIFO and the script that follows it. */
  readonly reporters?: Readonly<Record<RouterName, { readonly fifo: string; readonly script: string }>>;
  /** `<epoch ns> <router> <STATE>` per transition, stamped by the hook before anything else runs. */
  readonly log: string;
  /** The sender's JSON lines (`sent` with its timings, or why it failed). */
  readonly senderLog: string;
}

function writeScript(file: string, lines: readonly string[]): string {
  writeFileSync(file, `${['#!/bin/sh', ...lines].join('\n')}\n`);
  chmodSync(file, 0o755);
  return file;
}

/**
 * keepalived's hooks, per router. The notify script first stamps the transition (`date +%s%N`,
 * so VRRP time does not include any reaction) into notify.log: the measurement. In `exec` mode it
 * then execs the sender with that stamp as the ordering key; in `fifo` mode the reporter script
 * execs the following sender, and keepalived appends the FIFO path as its last argument.
 * Whatever keepalived passes ("$1", "$@") reaches the sender as separate quoted arguments, which
 * it validates; the shell evaluates nothing.
 */
export function writeNotifyHooks(dir: string, sender: HaSender, mode: NotifyMode): NotifyHooks {
  const log = path.join(dir, 'notify.log');
  const senderLog = path.join(dir, 'notify-ha.log');
  const scripts = {} as Record<RouterName, string>;
  const reporters = {} as Record<RouterName, { fifo: string; script: string }>;
  for (const rtr of Object.keys(ROUTERS) as RouterName[]) {
    const argv = [
      ...[sender.node, sender.bundle, '--router-id', sender.routerId, '--host', ROUTERS[rtr].host],
      ...[
        '--queue-url',
        sender.queueUrl,
        '--sqs-endpoint',
        sender.endpoint,
        '--sqs-socket',
        sender.socketPath,
      ],
    ].map(quoted);
    const stamp = ['t=$(date +%s%N)', `printf '%s %s %s\\n' "$t" ${quoted(rtr)} "$1" >> ${quoted(log)}`];
    const send = `exec ${argv.join(' ')} --state "$1" --at-ns "$t" 2>> ${quoted(senderLog)}`;
    scripts[rtr] = writeScript(
      path.join(dir, `notify-${rtr}.sh`),
      mode === 'exec' ? [...stamp, send] : stamp,
    );
    if (mode === 'fifo') {
      const follow = `exec ${argv.join(' ')} --follow --instance VR_1 "$@" 2>> ${quoted(senderLog)}`;
      reporters[rtr] = {
        fifo: path.join(dir, `notify-${rtr}.fifo`),
        script: writeScript(path.join(dir, `report-${rtr}.sh`), [follow]),
      };
    }
  }
  writeFileSync(log, '');
  writeFileSync(senderLog, '');
  return { mode, scripts, ...(mode === 'fifo' ? { reporters } : {}), log, senderLog };
}
