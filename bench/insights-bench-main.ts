/**
 * Runs the insights bench on its own: `npx tsx bench/insights-bench-main.ts` (embedded PGlite) or
 * with BENCH_DATABASE_URL=postgres://... Prints the results, then one JSON line per row.
 */
import { runStandalone } from './bench-harness.ts'
import { runInsightsBench } from './insights-bench.ts'

await runStandalone(runInsightsBench)
