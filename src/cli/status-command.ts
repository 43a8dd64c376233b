import { type Command, InvalidArgumentError } from 'commander';
import { hostSchema, idSchema } from '../contracts/primitives.js';
import type { AuditResult } from '../core/audit-decision.js';
import type { AgentAuditStatus } from './audit-status.js';
import { type CliIo, CommandFailedError, paint, UsageError } from './cli-support.js';
import { readStackStatus, type StackStatus } from './stack-status.js';
import { addTargetOptions, resolveTarget, type TargetOptions } from './stack-target.js';

const parseHost = (v: string) => {
  if (!hostSchema.safeParse(v).success) throw new InvalidArgumentError('not a host name');
  return v;
};
const parseId = (v: string) => {
  if (!idSchema.safeParse(v).success) throw new InvalidArgumentError('not a network id');
  return v;
};

function age(ms: number | null): string {
  if (ms === null) return 'never';
  if (ms < 1000) return `${ms} ms ago`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

/** Results that need an operator's eye in red, the ones still settling in yellow. */
function paintAudit(io: CliIo, result: AuditResult): string {
  if (result === 'match') return paint(io, 32, result);
  return paint(io, result === 'drift' || result === 'repair-failing' ? 31 : 33, result);
}
const repairs = (n: number) => (n > 0 ? ` (${n} repair${n === 1 ? '' : 's'})` : '');

/** The agent's last drift audit: its worst network's result and the newest comparison's age. */
function auditText(a: AgentAuditStatus | null, io: CliIo): string {
  if (a === null) return 'never';
  return `${paintAudit(io, a.result)} ${age(a.ageMs)}`;
}

/** The status as text: agents (lagging networks marked), routers, rejected records, DLQs. */
export function renderStatus(s: StackStatus, io: CliIo): string {
  const lines = [`stack ${s.stackName}, flags revision ${s.flagsRevision}`, '', 'agents:'];
  for (const a of s.agents) {
    const mark = a.converged ? paint(io, 32, 'ok     ') : paint(io, 31, 'BEHIND ');
    lines.push(
      `  ${mark}${a.host.padEnd(20)} last apply ${age(a.lastApplyAgeMs).padEnd(12)} audit ${auditText(a.audit, io)}`,
    );
    for (const n of a.networks) {
      const audit = a.audit?.networks[n.networkId];
      const drift =
        audit && audit.result !== 'match'
          ? `  audit ${paintAudit(io, audit.result)}${repairs(audit.repairs)}`
          : '';
      lines.push(
        `    ${n.converged ? ' ' : paint(io, 31, '!')} ${n.networkId.padEnd(20)} holds ${n.held} of ${n.current}${drift}`,
      );
    }
  }
  if (s.agents.length === 0) lines.push('  none');
  lines.push('', 'HA routers:');
  for (const r of s.routers) {
    lines.push(
      `  ${r.routerId.padEnd(20)} master ${r.master ?? 'none'}  hosts ${r.hosts.join(', ') || 'none'}`,
    );
    for (const n of r.networks) {
      const moved = n.strategy === n.wanted;
      lines.push(
        `    ${moved ? ' ' : paint(io, 31, '!')} ${n.networkId.padEnd(20)} ${n.strategy ?? 'none'}${moved ? '' : ` (flags say ${n.wanted})`}`,
      );
    }
  }
  if (s.routers.length === 0) lines.push('  none');
  const codes = Object.entries(s.rejected.byCode)
    .map(([c, n]) => `${n} ${c}`)
    .join(', ');
  lines.push('', `rejected: ${s.rejected.total}${codes ? ` (${codes})` : ''}`);
  for (const r of s.rejectedLatest) lines.push(`  ${r.at}  ${r.messageId}  ${r.code}: ${r.reason}`);
  lines.push(
    `dead-letter queues: ${Object.entries(s.dlqDepth)
      .map(([q, n]) => `${q.replace(/Queue$/, '')} ${n}`)
      .join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `l2pop status`: has every agent converged, and what is in the way. */
export function addStatusCommand(program: Command, io: CliIo): void {
  addTargetOptions(
    program
      .command('status')
      .description(
        'Per agent: the network versions it holds against the ones the controller sent, the age of its last ' +
          'apply and its last drift audit (result and age); the HA routers and their masters; rejected records; dead-letter depth ' +
          '(exit 1 while some agent or HA network has not converged)',
      )
      .option('--network <id>', 'only the agents of this network', parseId)
      .option('--host <host>', 'only this agent', parseHost)
      .option('--json', 'print JSON'),
  ).action(async (o: TargetOptions & { network?: string; host?: string; json?: boolean }) => {
    if (o.network && o.host) throw new UsageError('give --network or --host, not both');
    const target = await resolveTarget(o);
    try {
      const s = await readStackStatus(target, { network: o.network, host: o.host });
      io.out(o.json ? `${JSON.stringify(s, null, 1)}\n` : renderStatus(s, io));
      if (!s.converged) {
        const behind = s.agents.filter((a) => !a.converged).map((a) => a.host);
        throw new CommandFailedError(
          behind.length > 0
            ? `not converged: ${behind.join(', ')}`
            : 'not converged: some HA network still reflects older flags',
        );
      }
    } finally {
      target.close();
    }
  });
}
