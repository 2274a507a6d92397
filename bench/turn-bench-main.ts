/**
 * Runs the assistant turn bench on its own: `npx tsx bench/turn-bench-main.ts` (embedded PGlite) or
 * with BENCH_DATABASE_URL=postgres://... (a fresh database is created on that server and dropped).
 * Prints the tables, then one JSON line per result row.
 */
import { createTestDatabase } from '../test/support/test-database.ts'
import { runTurnBench } from './turn-bench.ts'

if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
const testDatabase = await createTestDatabase()
try {
  const rows = await runTurnBench({
    database: testDatabase.database,
    mode: testDatabase.mode,
    log: (line) => console.log(line),
  })
  console.log('')
  for (const row of rows) console.log(JSON.stringify(row))
} finally {
  await testDatabase.close()
}
