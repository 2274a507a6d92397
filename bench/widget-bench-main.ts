/**
 * Runs the widget bench on its own: `npx tsx bench/widget-bench-main.ts` (embedded PGlite) or with
 * BENCH_DATABASE_URL=postgres://... Prints the results, then one JSON line per row.
 */
import { runStandalone } from './bench-harness.ts'
import { runWidgetBench } from './widget-bench.ts'

await runStandalone(runWidgetBench)
