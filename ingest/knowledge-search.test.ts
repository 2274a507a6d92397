import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger, systemClock } from '../core/index.ts'
import {
  createWorkspace,
  embeddingIndexName,
  hasTenantEmbeddingIndex,
  searchKnowledgeChunks,
  type TenantContext,
  tenantEmbeddingIndexName,
  tenantIndexDistance,
} from '../db/index.ts'
import * as tenantIndexMigration from '../migrations/20261122001000-tenant-index-halfvec.ts'
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts'
import { createLexicalEmbedder } from './embedders/lexical-embedder.ts'
import { createKnowledgeService } from './knowledge-service.ts'

/**
 * Retrieval strategy: a workspace above the threshold gets its own HNSW index and is searched on
 * it; others are searched exactly; the full-text leg (a SECURITY DEFINER function, so it can use the
 * GIN index under RLS) still sees only the current workspace.
 */
let testDatabase: TestDatabase
let acme: TenantContext
let globex: TenantContext
const embedder = createLexicalEmbedder()

const handbook = [
  '# Travel',
  'Zeppelin flights to the Lisbon office need approval from the finance lead two weeks ahead.',
  '# Expenses',
  'Expense reports are due on the fifth working day of each month, with receipts attached.',
  '# Security',
  'Laptops lock after five minutes; hardware keys are mandatory for the admin console.',
  '# Onboarding',
  'New starters meet their buddy on the first morning and get a walrus-shaped mug.',
].join('\n\n')

function createService(options: Partial<Parameters<typeof createKnowledgeService>[0]> = {}) {
  return createKnowledgeService({
    database: testDatabase.database,
    embedder,
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    scheduler: { enqueue: async () => {} },
    maxUploadBytes: 1024 * 1024,
    allowPrivateUrls: false,
    // Four chunks are enough to count as a large workspace here.
    tenantIndexThreshold: 4,
    ...options,
  })
}

async function ingest(context: TenantContext, text: string, fileName: string, knowledge = createService()) {
  const { document } = await knowledge.addDocument({
    context,
    source: { kind: 'file', bytes: new TextEncoder().encode(text), fileName },
  })
  const processed = await knowledge.processDocument({
    workspaceId: context.workspaceId,
    documentId: document.id,
  })
  expect(processed?.document.status).toBe('ready')
  return processed!
}

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  const [first, second] = await testDatabase.database.withSystem(async (system) => [
    await createWorkspace(system, { name: 'Acme search' }),
    await createWorkspace(system, { name: 'Globex search' }),
  ])
  acme = { workspaceId: first!.id }
  globex = { workspaceId: second!.id }
  await ingest(acme, handbook, 'handbook.md')
  await ingest(globex, '# Notes\n\nThe zeppelin hangar lease ends in March.', 'notes.md')
})

afterAll(async () => {
  await testDatabase?.close()
})

describe('knowledge retrieval strategy', () => {
  it('gives a workspace over the threshold its own vector index, and no other workspace', async () => {
    const { database } = testDatabase
    expect(
      await database.withTenant(acme, (tenant) => hasTenantEmbeddingIndex(tenant, { model: embedder.model })),
    ).toBe(true)
    expect(
      await database.withTenant(globex, (tenant) =>
        hasTenantEmbeddingIndex(tenant, { model: embedder.model }),
      ),
    ).toBe(false)
  })

  it('searches the big workspace on its own index and finds the same top hit as exact search', async () => {
    const { database } = testDatabase
    const query = 'when are expense reports due'
    const [embedding] = await embedder.embed([query])
    const run = (vectorStrategy: 'tenant-index' | 'exact') =>
      database.withTenant(acme, (tenant) =>
        searchKnowledgeChunks(tenant, {
          text: query,
          embedding,
          embeddingModel: embedder.model,
          k: 3,
          iterativeScan: true,
          vectorStrategy,
        }),
      )
    const [indexed, exact] = [await run('tenant-index'), await run('exact')]
    expect(indexed[0]?.text).toContain('Expense reports are due')
    expect(indexed[0]?.chunkId).toBe(exact[0]?.chunkId)
    expect(indexed[0]?.headingPath).toEqual(['Expenses'])

    // The planner really uses the workspace's partial index for that query shape.
    const plan = await database.withTenant(acme, async (tenant) => {
      await tenant.sequelize.query('SET LOCAL enable_seqscan = off', { transaction: tenant.transaction })
      const [rows] = await tenant.sequelize.query(
        `EXPLAIN SELECT c.id FROM knowledge_chunks c
          WHERE c.workspace_id = :workspaceId AND c.embedding_model = :model
          ORDER BY ${tenantIndexDistance({ dimensions: embedding!.length })} LIMIT 5`,
        {
          replacements: {
            workspaceId: acme.workspaceId,
            model: embedder.model,
            embedding: `[${embedding!.join(',')}]`,
          },
          transaction: tenant.transaction,
        },
      )
      return (rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n')
    })
    expect(plan).toContain(tenantEmbeddingIndexName({ model: embedder.model, workspaceId: acme.workspaceId }))
    // Not the shared per-model graph (filtered to the workspace, poor recall): it cannot serve halfvec.
    expect(plan).not.toContain(embeddingIndexName(embedder.model))
  })

  it('builds a workspace index with the configured HNSW parameters, on halfvec', async () => {
    const { database } = testDatabase
    const [created] = await database.withSystem(async (system) => [
      await createWorkspace(system, { name: 'Initech search' }),
    ])
    const initech = { workspaceId: created!.id }
    await ingest(
      initech,
      handbook,
      'handbook.md',
      createService({ workspaceIndexBuild: { m: 8, efConstruction: 40 } }),
    )
    const [row] = await database.withSystem(async ({ sequelize, transaction }) => {
      const [rows] = await sequelize.query(
        'SELECT reloptions AS options, pg_get_indexdef(oid) AS definition FROM pg_class WHERE oid = to_regclass(:name)',
        {
          replacements: {
            name: tenantEmbeddingIndexName({ model: embedder.model, workspaceId: initech.workspaceId }),
          },
          transaction,
        },
      )
      return rows as { options: string[]; definition: string }[]
    })
    expect(row?.options).toEqual(expect.arrayContaining(['m=8', 'ef_construction=40']))
    expect(row?.definition).toContain('halfvec_cosine_ops')
    expect(row?.definition).toContain(initech.workspaceId)
  })

  it('reindex rebuilds a missing workspace index even when no document needs re-embedding', async () => {
    const { database } = testDatabase
    const indexName = tenantEmbeddingIndexName({ model: embedder.model, workspaceId: acme.workspaceId })
    await database.withSystem(({ sequelize, transaction }) =>
      sequelize.query(`DROP INDEX ${indexName}`, { transaction }),
    )
    const hasIndex = () =>
      database.withTenant(acme, (tenant) => hasTenantEmbeddingIndex(tenant, { model: embedder.model }))
    expect(await hasIndex()).toBe(false)
    const result = await createService().reindex({ context: acme })
    expect(result).toEqual({ documents: 0, chunks: 0 })
    expect(await hasIndex()).toBe(true)
  })

  it('migration 001000 drops workspace indexes of the old layout and keeps the new ones', async () => {
    const { database } = testDatabase
    const oldName = 'knowledge_chunks_tenant_0123456789abcdef0123_idx'
    const dimensions = embedder.dimensions
    const indexes = () =>
      database.withSystem(async ({ sequelize, transaction }) => {
        const [rows] = await sequelize.query(
          "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'knowledge_chunks' ORDER BY 1",
          { transaction },
        )
        return (rows as { name: string }[]).map((row) => row.name)
      })
    await database.withSystem(({ sequelize, transaction }) =>
      sequelize.query(
        `CREATE INDEX ${oldName} ON knowledge_chunks USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops)
          WHERE embedding_model = '${embedder.model}' AND workspace_id = '${acme.workspaceId}'`,
        { transaction },
      ),
    )
    expect(await indexes()).toContain(oldName)
    await database.withSystem(({ sequelize, transaction }) =>
      tenantIndexMigration.up({
        context: { query: async (sql) => void (await sequelize.query(sql, { transaction })) },
      }),
    )
    const after = await indexes()
    expect(after).not.toContain(oldName)
    expect(after).toContain(
      tenantEmbeddingIndexName({ model: embedder.model, workspaceId: acme.workspaceId }),
    )
    expect(after).toContain(embeddingIndexName(embedder.model))
  })

  it('keeps both legs inside the workspace whichever strategy runs', async () => {
    const knowledge = createService()
    const fromAcme = await knowledge.searchKnowledge({
      context: acme,
      query: 'zeppelin flights Lisbon',
      k: 5,
    })
    expect(fromAcme[0]?.text).toContain('Zeppelin flights to the Lisbon office')
    const fromGlobex = await knowledge.searchKnowledge({
      context: globex,
      query: 'zeppelin flights Lisbon',
      k: 5,
    })
    expect(fromGlobex.map((hit) => hit.text)).toEqual(['The zeppelin hangar lease ends in March.'])
  })

  it('returns only the current workspace from the full-text function, and nothing without one', async () => {
    const { database } = testDatabase
    const textSearch = 'SELECT id FROM knowledge_text_search(:query, 10, CAST(:collections AS uuid[]))'
    const idsFor = (context: TenantContext) =>
      database.withTenant(context, async (tenant) => {
        const [rows] = await tenant.sequelize.query(textSearch, {
          replacements: { query: 'zeppelin', collections: '{}' },
          transaction: tenant.transaction,
        })
        return (rows as { id: string }[]).map((row) => row.id)
      })
    const [acmeIds, globexIds] = [await idsFor(acme), await idsFor(globex)]
    expect(acmeIds).toHaveLength(1)
    expect(globexIds).toHaveLength(1)
    expect(acmeIds[0]).not.toBe(globexIds[0])

    // As the app role with the workspace setting emptied, the function fails closed.
    const orphan = await database.withTenant(acme, async (tenant) => {
      await tenant.sequelize.query("SELECT set_config('app.workspace_id', '', true)", {
        transaction: tenant.transaction,
      })
      const [rows] = await tenant.sequelize.query(textSearch, {
        replacements: { query: 'zeppelin', collections: '{}' },
        transaction: tenant.transaction,
      })
      return rows
    })
    expect(orphan).toEqual([])
  })
})
