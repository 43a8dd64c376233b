import { describe, expect, it } from 'vitest';
import { agentQueueName } from '../../src/adapters/aws/agent-queues.js';
import { agentReport, inboundCode, vmPortUpsert } from '../support/inbound-codes.js';

/** Hosts as OpenStack names them: often a fully qualified name, longer than one DNS label. */
const FQDN = 'nova-compute-0042.availability-zone-1.region-eu-west-2.cloud.internal.example.com';

const codeOf = inboundCode;
const port = (host: string) => vmPortUpsert({ host });
const report = (host: string) => agentReport({ host });

describe('host names', () => {
  it('takes a fully qualified host longer than one DNS label, up to the 128 characters of an SQS group id', () => {
    expect(FQDN.length).toBeGreaterThan(63);
    expect(codeOf(port(FQDN))).toBe('accepted');
    expect(codeOf(report(FQDN))).toBe('accepted');
    const longest = `${'h'.repeat(60)}.${'x'.repeat(67)}`;
    expect(longest).toHaveLength(128);
    expect(codeOf(report(longest))).toBe('accepted');
    expect(codeOf(report(`${longest}x`))).toBe('invalid_message');
  });

  it('gives it a queue name of its own within the 80 characters SQS allows', () => {
    const name = agentQueueName('l2pop-prod-agent-cmd-', FQDN);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name.endsWith('.fifo')).toBe(true);
    // two hosts that share the kept prefix still get two queues
    expect(agentQueueName('l2pop-prod-agent-cmd-', `${FQDN}.b`)).not.toBe(name);
  });
});
