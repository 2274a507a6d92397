/**
 * Maps `items` with at most `concurrency` calls of `map` in flight, keeping the results in the
 * items' order. Once `signal` is aborted no further item starts (those in flight finish); the
 * caller decides what an abort means. The first rejection rejects the whole call.
 */
export async function mapConcurrently<Item, Result>({
  items,
  concurrency,
  map,
  signal,
}: {
  items: readonly Item[]
  concurrency: number
  map: (item: Item, index: number) => Promise<Result>
  signal?: AbortSignal | undefined
}): Promise<Result[]> {
  const results: Result[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const index = next++
      results[index] = await map(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker))
  return results
}
