/**
 * Runs the Slack bench on its own: `npx tsx bench/slack-bench-main.ts` (embedded PGlite) or with
 * BENCH_DATABASE_URL=postgres://... (a fresh database is created on that server and dropped).
 * Prints the results, then one JSON line per row.
 */
import { runStandalone } from './bench-harness.ts'
import { runSlackBench } from './slack-bench.ts'

await runStandalone(runSlackBench)
