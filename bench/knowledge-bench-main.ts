/**
 * Runs the knowledge bench on its own: `npx tsx bench/knowledge-bench-main.ts` (embedded PGlite) or
 * with BENCH_DATABASE_URL=postgres://... (a fresh database is created on that server and dropped).
 * Prints the tables, then one JSON line per result row.
 */
import { runStandalone } from './bench-harness.ts'
import { runKnowledgeBench } from './knowledge-bench.ts'

await runStandalone(runKnowledgeBench)
