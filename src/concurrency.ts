/**
 * Calls `fn` on every item with at most `limit` calls in flight; resolves with the results in
 * input order (rejects with the first error).
 *
 * @example
 * ```ts
 * const sizes = await mapConcurrently(keys, 8, async (key) => (await store.head(key))?.size);
 * ```
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
