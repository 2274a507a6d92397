/**
 * Runs the insights bench on its own: `npx tsx bench/insights-bench-main.ts` (embedded PGlite) or
 * with BENCH_DATABASE_URL=postgres://... Prints the results, then one JSON line per row.
 */
import { createTestDatabase } from '../test/support/test-database.ts'
import { runInsightsBench } from './insights-bench.ts'

if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
const testDatabase = await createTestDatabase()
try {
  const rows = await runInsightsBench({
    database: testDatabase.database,
    mode: testDatabase.mode,
    log: (line) => console.log(line),
  })
  console.log('')
  for (const row of rows) console.log(JSON.stringify(row))
} finally {
  await testDatabase.close()
}
