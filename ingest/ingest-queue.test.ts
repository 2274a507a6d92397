import { afterAll, beforeAll, expect, it } from 'vitest'
import { AppError, createLogger, systemClock } from '../core/index.ts'
import { addMember, createWorkspace, getKnowledgeDocument } from '../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts'
import type { Embedder } from './embedders/index.ts'
import { createLexicalEmbedder } from './embedders/lexical-embedder.ts'
import { createIngestQueue, type IngestQueue } from './ingest-queue.ts'
import { createKnowledgeService } from './knowledge-service.ts'

let testDatabase: TestDatabase
let queue: IngestQueue
const logger = createLogger({ level: 'silent' })

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  queue = await createIngestQueue({ url: testDatabase.url, logger, concurrency: 2 })
})

afterAll(async () => {
  await queue?.stop()
  await testDatabase?.close()
})

it('processes documents on the pg-boss queue and retries a transient embedding failure', async () => {
  const { database } = testDatabase
  const { workspace, member } = await database.withSystem(async (system) => {
    const workspace = await createWorkspace(system, { name: 'Queue Co' })
    return {
      workspace,
      member: await addMember(system, { workspaceId: workspace.id, email: 'q@queue.test', role: 'owner' }),
    }
  })
  const lexical = createLexicalEmbedder()
  let calls = 0
  // The embedding server is down for the first request only.
  const flaky: Embedder = {
    ...lexical,
    embed: async (texts, options) => {
      calls += 1
      if (calls === 1) throw new AppError('unavailable', { message: 'The embedding server is unavailable.' })
      return lexical.embed(texts, options)
    },
  }
  const knowledge = createKnowledgeService({
    database,
    embedder: flaky,
    clock: systemClock,
    logger,
    scheduler: queue,
    maxUploadBytes: 1024 * 1024,
    allowPrivateUrls: false,
  })
  await queue.startWorker(knowledge)
  const context = { workspaceId: workspace.id, userId: member.userId }
  const { document } = await knowledge.addDocument({
    context,
    source: {
      kind: 'text',
      text: '# Travel\n\nBook flights through the travel desk at least two weeks ahead.',
    },
    title: 'Travel policy',
  })
  expect(document.status).toBe('processing')
  let status = document.status
  for (let attempt = 0; attempt < 200 && status === 'processing'; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    status = (await database.withTenant(context, (tenant) =>
      getKnowledgeDocument(tenant, { id: document.id }),
    ))!.status
  }
  expect(status).toBe('ready')
  expect(calls).toBeGreaterThanOrEqual(2)
  const hits = await knowledge.searchKnowledge({ context, query: 'how early to book flights' })
  expect(hits[0]).toMatchObject({ documentId: document.id, title: 'Travel policy' })
}, 60_000)
