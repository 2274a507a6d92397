/**
 * Runs the assistant turn bench on its own: `npx tsx bench/turn-bench-main.ts` (embedded PGlite) or
 * with BENCH_DATABASE_URL=postgres://... (a fresh database is created on that server and dropped).
 * Prints the tables, then one JSON line per result row.
 */
import { runStandalone } from './bench-harness.ts'
import { runTurnBench } from './turn-bench.ts'

await runStandalone(runTurnBench)
