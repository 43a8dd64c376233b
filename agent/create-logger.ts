import type { Writable } from 'node:stream';

export interface AgentLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * JSON lines in the controller's schema (Powertools Logger: `level` in capitals, `message`,
 * `service`, ISO `timestamp`, then the fields), so one Logs Insights query reads both, plus an
 * epoch-millisecond timestamp `t` (sub-millisecond, from the monotonic clock anchored at process
 * start), so the failover harness can line agent work up with keepalived's notify timestamps and
 * ping's `-D` timestamps.
 */
export function createLogger(out: Writable, base: Record<string, unknown>): AgentLogger {
  const write = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    const t = Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
    const timestamp = new Date(Math.floor(t)).toISOString();
    out.write(
      `${JSON.stringify({ level: level.toUpperCase(), message, service: 'l2pop-agent', timestamp, t, ...base, ...fields })}\n`,
    );
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}

/** A logger that keeps lines in memory (tests). */
export function createMemoryLogger(): AgentLogger & {
  readonly lines: { level: string; msg: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (msg, fields = {}) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields = {}) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields = {}) => lines.push({ level: 'error', msg, fields }),
  };
}

/** The same logger with `fields` on every line (a correlation id for one command). */
export function withFields(log: AgentLogger, fields: Record<string, unknown>): AgentLogger {
  return {
    info: (msg, f) => log.info(msg, { ...fields, ...f }),
    warn: (msg, f) => log.warn(msg, { ...fields, ...f }),
    error: (msg, f) => log.error(msg, { ...fields, ...f }),
  };
}
