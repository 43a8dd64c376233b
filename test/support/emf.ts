/** One CloudWatch Embedded Metric Format blob, as Powertools writes it (one JSON line on stdout). */
export interface EmfBlob {
  readonly namespace: string;
  readonly dimensionSets: readonly (readonly string[])[];
  readonly metrics: readonly string[];
  /** Dimension and metric values: the blob's top-level keys. */
  readonly values: Readonly<Record<string, unknown>>;
}

function parseEmf(line: string): EmfBlob | null {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return null;
  const o = JSON.parse(line) as {
    _aws?: {
      CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
    };
  } & Record<string, unknown>;
  const d = o._aws?.CloudWatchMetrics?.[0];
  if (!d) return null;
  return {
    namespace: d.Namespace,
    dimensionSets: d.Dimensions,
    metrics: d.Metrics.map((m) => m.Name),
    values: o,
  };
}

/**
 * Captures the JSON lines the in-process functions write to stdout and stderr (Powertools' logger
 * and metrics write there, as on Lambda, where CloudWatch Logs turns the EMF lines into metrics).
 * Other output passes through.
 */
export function captureOutput() {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const saved = streams.map((s) => s.write);
  for (const [i, stream] of streams.entries()) {
    const write = (saved[i] as typeof stream.write).bind(stream);
    let partial = '';
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = partial + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      const keep: string[] = [];
      for (const l of parts) (l.startsWith('{') ? lines : keep).push(l);
      if (keep.length > 0) write(`${keep.join('\n')}\n`);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof stream.write;
  }
  return {
    lines,
    emf: (): EmfBlob[] => lines.map(parseEmf).filter((b): b is EmfBlob => b !== null),
    /** The JSON log lines (Powertools logger), parsed. */
    logs: (): Record<string, unknown>[] =>
      lines
        .filter((l) => !l.includes('"_aws"'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    restore(): void {
      for (const [i, stream] of streams.entries()) stream.write = saved[i] as typeof stream.write;
    },
  };
}
