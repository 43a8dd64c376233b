import type { AbResult } from '../sim/ab-run.js';
import type { AbSummary } from '../sim/ab-summary.js';
import { barChart } from './render-svg.js';

/** The report's cost charts: messages, bytes, DynamoDB, fan-out, and messages per phase. */
export function costCharts(summary: AbSummary, ab: AbResult): string {
  const strategies = summary.rows.map((r) => r.strategy);
  const phases = ab.results[0]?.phases.map((p) => p.name) ?? [];
  return [
    barChart({
      title: 'Control messages to agents',
      categories: strategies,
      series: [{ name: 'messages', values: summary.rows.map((r) => r.messages) }],
    }),
    barChart({
      title: 'Bytes of commands (KiB)',
      categories: strategies,
      series: [{ name: 'KiB', values: summary.rows.map((r) => Math.round(r.bytes / 102.4) / 10) }],
    }),
    barChart({
      title: 'DynamoDB requests and capacity units',
      categories: strategies,
      series: [
        { name: 'requests', values: summary.rows.map((r) => r.dynamoRequests) },
        { name: 'RCU', values: summary.rows.map((r) => r.readUnits) },
        { name: 'WCU', values: summary.rows.map((r) => r.writeUnits) },
      ],
    }),
    barChart({
      title: 'Copies of a frame to the router MAC (mean per VM)',
      categories: strategies,
      series: [
        {
          name: 'copies',
          values: summary.rows.map((r) => Math.round((r.failovers[0]?.fanOut.mean ?? 0) * 100) / 100),
        },
      ],
    }),
    barChart({
      title: 'Control messages per phase',
      categories: phases,
      series: ab.results.map((r) => ({ name: r.strategy, values: r.phases.map((p) => p.sqs.messages) })),
      width: 980,
    }),
  ].join('\n');
}
