import os from 'node:os';
import { computeViewDigest, type DataPlaneEntry } from '../../src/core/digest.js';

/**
 * `npx tsx bench/digest.bench.ts`: what one drift-audit digest costs an agent (docs/drift-audit.md):
 * the digest of a view of 1k, 10k and 100k unicast FDB entries, best of 5 runs, with the machine's
 * load average printed next to it (the figures scale with the CPU share the process gets).
 */
function entries(n: number): DataPlaneEntry[] {
  const out: DataPlaneEntry[] = [];
  for (let i = 0; i < n; i++) {
    const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255].map((x) => x.toString(16).padStart(2, '0'));
    out.push({ kind: 'unicast', mac: `fa:16:3e:${b.join(':')}`, vtep: `10.0.${(i >> 8) & 255}.${i & 255}` });
  }
  return out;
}

computeViewDigest(entries(1000)); // warm up
for (const n of [1000, 10_000, 100_000]) {
  const view = entries(n);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    computeViewDigest(view);
    best = Math.min(best, performance.now() - t);
  }
  console.log(`${n} entries: ${best.toFixed(1)} ms (${((best * 1000) / n).toFixed(2)} µs/entry)`);
}
console.log(
  `load average ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} CPUs, node ${process.version}`,
);
