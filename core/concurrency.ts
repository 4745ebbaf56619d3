/**
 * File handles are a per-process limit (`ulimit -n`, often 256 or 1024): a Promise.all over
 * thousands of reads or writes fails with EMFILE. Everything that opens files per item goes
 * through this, so a catalog of any size stays within a small, fixed number of open handles.
 */
export const FILE_CONCURRENCY = 32;

/** Like `Promise.all(items.map(fn))`, with at most `limit` calls in flight; results keep their order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        // Stop handing out work; the first failure is what the caller sees.
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}
