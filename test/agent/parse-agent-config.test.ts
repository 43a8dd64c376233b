import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../agent/parse-agent-config.js';

const BASE = ['--host', 'compute1', '--tunnel-ip', '198.51.100.11'];
const SQS = [
  '--transport',
  'sqs',
  '--event-queue-url',
  'http://127.0.0.1:4566/000000000000/agent-events.fifo',
];

describe('parseAgentConfig', () => {
  it('reports its capabilities from its own flags', () => {
    const { config } = parseAgentConfig([...BASE, '--learning', 'off', '--arp', 'proxy']);
    expect(config).toMatchObject({ host: 'compute1', learning: false, proxy: true });
  });

  it('reports what it holds every second by default, or as --applied-report-ms says', () => {
    expect(parseAgentConfig(BASE).appliedReportMs).toBe(1000);
    expect(parseAgentConfig([...BASE, '--applied-report-ms', '250']).appliedReportMs).toBe(250);
    expect(() => parseAgentConfig([...BASE, '--applied-report-ms', '5'])).toThrow(/--applied-report-ms/);
    expect(parseAgentConfig(BASE).heartbeatMs).toBe(3_600_000);
    expect(parseAgentConfig([...BASE, '--heartbeat-ms', '60000']).heartbeatMs).toBe(60_000);
  });

  it('takes its command queue by name and reaches SQS through a Unix socket', () => {
    const { transport } = parseAgentConfig([
      ...BASE,
      ...SQS,
      ...['--command-queue-name', 'l2pop-local-agent-compute1.fifo', '--sqs-socket', '/run/l2pop/sqs.sock'],
    ]);
    expect(transport).toMatchObject({
      kind: 'sqs',
      commandQueue: { name: 'l2pop-local-agent-compute1.fifo' },
      socketPath: '/run/l2pop/sqs.sock',
      endpoint: undefined,
    });
  });

  it.each([
    [['--command-queue-name', 'a b.fifo'], /queue name/],
    [['--command-queue-name', 'x.fifo', '--command-queue-url', 'http://h/q'], /not both/],
    [[], /--command-queue-url is required/],
    [['--command-queue-name', 'x.fifo', '--sqs-socket', 'relative.sock'], /--sqs-socket/],
    [['--command-queue-name', 'x.fifo', '--sqs-socket', '/run/$(id).sock'], /--sqs-socket/],
    [['--command-queue-name', 'x.fifo', '--sqs-endpoint', 'file:///etc/passwd'], /--sqs-endpoint/],
  ])('rejects %j', (extra, message) => {
    expect(() => parseAgentConfig([...BASE, ...SQS, ...extra])).toThrow(message);
  });
});
