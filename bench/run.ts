/**
 * `npm run bench`: the cost of tenancy and of the API's read path, each against a floor measured in
 * the same process on the same database, so the ratios mean something on any machine.
 *
 *   - tenant transaction vs a bare pool query (what `withTenant` adds: BEGIN, role + settings, COMMIT)
 *   - a 25-row list under RLS vs the same query as the privileged user
 *   - GET /v1/deals (API-key check + member lookup + list) vs GET /healthz over real HTTP
 *   - then the knowledge bench (BENCH_SKIP_KNOWLEDGE=1 skips it) and the assistant turn bench
 *     (BENCH_SKIP_TURN=1 skips it)
 *
 * Database: embedded PGlite (default) or a real server with BENCH_DATABASE_URL (a fresh database is
 * created and dropped on it). Prints a table and one JSON line per measurement.
 */
import type { AddressInfo } from 'node:net'
import { createHttpApp } from '../adapters/index.ts'
import { createInProcessEventBus, createLogger, fixedClock } from '../core/index.ts'
import { createApiKey, listMembers, listRecords, seedDemoWorkspace } from '../db/index.ts'
import { createLexicalEmbedder } from '../ingest/embedders/lexical-embedder.ts'
import { createKnowledgeService } from '../ingest/index.ts'
import { createTestDatabase } from '../test/support/test-database.ts'
import { allTools, createToolService } from '../tools/index.ts'
import type { BenchSection } from './bench-harness.ts'
import { runInsightsBench } from './insights-bench.ts'
import { runKnowledgeBench } from './knowledge-bench.ts'
import { type Measurement, measure } from './measure.ts'
import { runSlackBench } from './slack-bench.ts'
import { runTurnBench } from './turn-bench.ts'
import { runWidgetBench } from './widget-bench.ts'

if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
const runs = Number(process.env.BENCH_RUNS ?? 300)
const clock = fixedClock(new Date('2026-03-02T09:00:00Z'))
const testDatabase = await createTestDatabase()
const { database } = testDatabase
const { workspace } = await seedDemoWorkspace({ database, clock })
const owner = (await database.withTenant({ workspaceId: workspace.id }, (tenant) => listMembers(tenant)))[0]!
const key = await database.withTenant({ workspaceId: workspace.id, userId: owner.userId }, (tenant) =>
  createApiKey(tenant, { name: 'bench' }),
)
const logger = createLogger({ level: 'silent' })
const bus = createInProcessEventBus()
const toolService = createToolService({ database, tools: allTools, clock, bus, logger })
const knowledge = createKnowledgeService({
  database,
  embedder: createLexicalEmbedder(),
  clock,
  logger,
  maxUploadBytes: 25 * 1024 * 1024,
  allowPrivateUrls: false,
})
const app = createHttpApp({
  database,
  logger,
  clock,
  toolService,
  knowledge,
  maxUploadBytes: 25 * 1024 * 1024,
})
const server = app.listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const headers = { Authorization: `Bearer ${key.key}`, 'X-Nereid-User': owner.email }
const context = { workspaceId: workspace.id, userId: owner.userId }

const pairs: { measurement: Measurement; floor: Measurement }[] = []
async function compare(
  floor: { name: string; operation: () => Promise<unknown> },
  subject: { name: string; operation: () => Promise<unknown> },
) {
  const floorMeasurement = await measure({ ...floor, runs })
  const measurement = await measure({ ...subject, runs })
  pairs.push({ measurement, floor: floorMeasurement })
}

await compare(
  { name: 'pool query SELECT 1 (floor)', operation: () => database.ping() },
  {
    name: 'withTenant transaction, SELECT 1',
    operation: () =>
      database.withTenant(context, ({ sequelize, transaction }) =>
        sequelize.query('SELECT 1', { transaction }),
      ),
  },
)
await compare(
  {
    name: 'list 25 deals as privileged user (floor)',
    operation: () =>
      database.withSystem(({ sequelize, transaction }) =>
        sequelize.query(
          'SELECT * FROM deals WHERE workspace_id = :id ORDER BY expected_close_date NULLS LAST, name, id LIMIT 26',
          {
            replacements: { id: workspace.id },
            transaction,
          },
        ),
      ),
  },
  {
    name: 'list 25 deals under RLS (listRecords)',
    operation: () =>
      database.withTenant(context, (tenant) => listRecords(tenant, { kind: 'deals', limit: 25, offset: 0 })),
  },
)
await compare(
  {
    name: 'HTTP GET /healthz (floor)',
    operation: () => fetch(`${baseUrl}/healthz`).then((response) => response.arrayBuffer()),
  },
  {
    name: 'HTTP GET /v1/deals?limit=25 (auth + list)',
    operation: () =>
      fetch(`${baseUrl}/v1/deals?limit=25`, { headers }).then((response) => response.arrayBuffer()),
  },
)

// Tools: the policy check (preferences read), prepare, and the history write, against a bare
// execute of the same tool in one tenant transaction.
await toolService.setAutonomy({
  actor: { ...context, role: 'owner', channel: 'api' },
  settings: [{ scopeType: 'tool', scope: 'create_task', mode: 'auto' }],
})
const actor = { ...context, role: 'owner' as const, channel: 'api' as const }
const createTask = allTools.find((tool) => tool.name === 'create_task')!
const searchContacts = allTools.find((tool) => tool.name === 'search_contacts')!
const toolContext = (tenant: Parameters<Parameters<typeof database.withTenant>[1]>[0]) => ({
  tenant,
  actor: { userId: owner.userId },
  clock,
})
let taskNumber = 0
await compare(
  {
    name: 'create_task bare execute (floor)',
    operation: () =>
      database.withTenant(context, (tenant) =>
        createTask.execute(toolContext(tenant), { title: `Bench task ${taskNumber++}`, priority: 'medium' }),
      ),
  },
  {
    name: 'create_task via policy + history (invoke)',
    operation: () =>
      toolService.invoke({ actor, name: 'create_task', input: { title: `Bench task ${taskNumber++}` } }),
  },
)
await compare(
  {
    name: 'search_contacts bare execute (floor)',
    operation: () =>
      database.withTenant(context, (tenant) =>
        searchContacts.execute(toolContext(tenant), { query: 'an', limit: 20 }),
      ),
  },
  {
    name: 'search_contacts via policy + history (invoke)',
    operation: () =>
      toolService.invoke({ actor, name: 'search_contacts', input: { query: 'an', limit: 20 } }),
  },
)

server.close()
await bus.close()

const ratio = (value: number, floor: number) => Math.round((value / floor) * 100) / 100
console.log(`\nNereid bench (${testDatabase.mode} database, ${runs} runs each, Node ${process.version})\n`)
console.log(
  `${'operation'.padEnd(50)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'x floor p50'.padStart(13)}${'added ms'.padStart(10)}`,
)
for (const { measurement, floor } of pairs) {
  for (const [row, relative, added] of [
    [floor, '', ''],
    [
      measurement,
      `${ratio(measurement.p50Ms, floor.p50Ms)}`,
      `+${(measurement.p50Ms - floor.p50Ms).toFixed(2)}`,
    ],
  ] as const) {
    console.log(
      `${row.name.padEnd(50)}${row.p50Ms.toFixed(2).padStart(9)}${row.p95Ms.toFixed(2).padStart(9)}${relative.padStart(13)}${added.padStart(10)}`,
    )
  }
}
console.log('')
for (const { measurement, floor } of pairs) {
  console.log(
    JSON.stringify({
      bench: measurement.name,
      database: testDatabase.mode,
      runs,
      p50_ms: measurement.p50Ms,
      p95_ms: measurement.p95Ms,
      floor: floor.name,
      floor_p50_ms: floor.p50Ms,
      floor_p95_ms: floor.p95Ms,
      ratio_p50: ratio(measurement.p50Ms, floor.p50Ms),
      ratio_p95: ratio(measurement.p95Ms, floor.p95Ms),
      added_p50_ms: Math.round((measurement.p50Ms - floor.p50Ms) * 1000) / 1000,
    }),
  )
}

// The feature benches, each skippable with its BENCH_SKIP_* variable. Each prints its own table and
// returns rows, printed as one JSON line each.
const sections: { skip: string; run: BenchSection }[] = [
  // Ingestion throughput and retrieval latency/recall at scale.
  { skip: 'BENCH_SKIP_KNOWLEDGE', run: runKnowledgeBench },
  // The assistant turn: time to first token against a bare streamText, and 200 concurrent chats.
  { skip: 'BENCH_SKIP_TURN', run: runTurnBench },
  // The widget socket: memory per idle connection, model-to-client delay with 100 streams.
  { skip: 'BENCH_SKIP_WIDGET', run: runWidgetBench },
  // Slack: acknowledgement latency of 50 concurrent events.
  { skip: 'BENCH_SKIP_SLACK', run: runSlackBench },
  // Proactive insights: a full detector run over 50k deals, 100k tasks, 10k recipients.
  { skip: 'BENCH_SKIP_INSIGHTS', run: runInsightsBench },
]
for (const section of sections) {
  if (process.env[section.skip] === '1') continue
  console.log('')
  const rows = await section.run({ database, mode: testDatabase.mode, log: (line) => console.log(line) })
  console.log('')
  for (const row of rows) console.log(JSON.stringify(row))
}
await testDatabase.close()
