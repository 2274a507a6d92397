import { z } from 'zod'

/** `limit` (1-100, default 25) and `offset` query parameters, shared by every list endpoint. */
export const pagingQueryShape = {
  limit: z.coerce
    .number({ message: 'expected a number' })
    .int('expected a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(25),
  offset: z.coerce
    .number({ message: 'expected a number' })
    .int('expected a whole number')
    .min(0, 'must be 0 or more')
    .max(100_000, 'must be at most 100000')
    .default(0),
}

/**
 * The `page` object of a list response for lists fetched with exactly `limit` rows: a full page
 * may have more behind it (the record lists fetch one extra row and know for sure).
 */
export function pageOf({ count, limit, offset }: { count: number; limit: number; offset: number }) {
  const hasMore = count === limit
  return { limit, offset, hasMore, nextOffset: hasMore ? offset + limit : null }
}
