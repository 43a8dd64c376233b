/**
 * Maps `items` through `fn` with at most `jobs` calls in flight, keeping the input order. Each
 * oracle run takes a whole CPU, so `jobs` is the number of cores the run may use.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  jobs: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return out;
}
