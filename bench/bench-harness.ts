import type { ChildProcess } from 'node:child_process'
import pg from 'pg'
import type { Database } from '../db/index.ts'
import { createTestDatabase } from '../test/support/test-database.ts'

/** What every feature bench gets from `npm run bench` (bench/run.ts) or its own `*-main.ts`. */
export interface BenchOptions {
  database: Database
  mode: Database['mode']
  log: (line: string) => void
}

/** A feature bench: prints its own table through `log` and returns one row per result. */
export type BenchSection = (options: BenchOptions) => Promise<object[]>

/**
 * Runs one feature bench on its own, on embedded PGlite or, with BENCH_DATABASE_URL=postgres://...,
 * on a fresh database created on that server (and dropped after); prints its rows as JSON lines.
 */
export async function runStandalone(section: BenchSection): Promise<void> {
  if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
  const testDatabase = await createTestDatabase()
  try {
    const rows = await section({
      database: testDatabase.database,
      mode: testDatabase.mode,
      log: (line) => console.log(line),
    })
    console.log('')
    for (const row of rows) console.log(JSON.stringify(row))
  } finally {
    await testDatabase.close()
  }
}

/**
 * `VACUUM (ANALYZE)` of the knowledge tables after a bulk load, so measurements see the steady state
 * of a workspace whose data has settled: statistics current, the visibility map set, and no
 * autovacuum pass over the freshly written table running beside the timed queries (it starts on
 * its own after a large insert). VACUUM cannot run in a transaction, so this uses its own connection
 * to the database's URL (the connecting, privileged user). Returns the seconds it took.
 */
export async function settleKnowledgeTables(database: Database): Promise<number> {
  const started = performance.now()
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await client.query('VACUUM (ANALYZE) knowledge_chunks, knowledge_documents')
  } finally {
    await client.end()
  }
  return (performance.now() - started) / 1000
}

/** The value at `fraction` (0.5 = median, 0.99 = p99) of unsorted values; NaN for none. */
export function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right)
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!
    : Number.NaN
}

/** Rounds to `digits` decimals (2 by default) for printing. */
export function round(value: number, digits = 2): number {
  return Math.round(value * 10 ** digits) / 10 ** digits
}

/** Sends a command to a bench's client process and waits for its reply (`{ done }` names it). */
export function askChild<Reply>(
  child: ChildProcess,
  message: Record<string, unknown>,
  done: string,
): Promise<Reply> {
  return new Promise((resolve) => {
    const onMessage = (reply: { done?: string }) => {
      if (reply.done !== done) return
      child.off('message', onMessage)
      resolve(reply as Reply)
    }
    child.on('message', onMessage)
    child.send(message)
  })
}
