import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger, systemClock } from '../core/index.ts'
import { createWorkspace, type TenantContext } from '../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts'
import type { Embedder } from './embedders/embedder.ts'
import { createKnowledgeService } from './knowledge-service.ts'
import { vectorLegSettings } from './vector-leg-settings.ts'

/**
 * How the fusion weighs the vector leg, by embedder kind, through searchKnowledge. The embedder is
 * scripted so the two legs disagree on purpose: drafts that share most of the query's words are
 * the vector leg's nearest (and hold no full-text match, since none has every word), while the two
 * passages holding every word of the query are far from it in vector space.
 */
const query = 'nordic quarterly revenue forecast'
const drafts = Array.from(
  { length: 3 },
  (_, index) => `Quarterly revenue forecast, draft ${index + 1}: figures to be confirmed.`,
)
const fullMatches = [
  'Nordic quarterly revenue forecast. The Nordic quarterly revenue forecast is owned by finance.',
  'The appendix repeats the nordic quarterly revenue forecast in a table.',
]

/** Near the query unless the text mentions "nordic" (the two full matches) and is not the query. */
function scriptedEmbedder(kind: Embedder['kind']): Embedder {
  return {
    model: `scripted-${kind}-2`,
    dimensions: 2,
    kind,
    async embed(texts) {
      return texts.map((text) => (text !== query && /nordic/i.test(text) ? [0, 1] : [1, 0]))
    },
  }
}

let testDatabase: TestDatabase
const contexts = new Map<Embedder['kind'], TenantContext>()

function createService(kind: Embedder['kind']) {
  return createKnowledgeService({
    database: testDatabase.database,
    embedder: scriptedEmbedder(kind),
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    scheduler: { enqueue: async () => {} },
    maxUploadBytes: 1024 * 1024,
    allowPrivateUrls: false,
  })
}

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  for (const kind of ['lexical', 'semantic'] as const) {
    const [workspace] = await testDatabase.database.withSystem(async (system) => [
      await createWorkspace(system, { name: `Fusion ${kind}` }),
    ])
    const context = { workspaceId: workspace!.id }
    contexts.set(kind, context)
    const knowledge = createService(kind)
    for (const [index, text] of [...drafts, ...fullMatches].entries()) {
      const { document } = await knowledge.addDocument({
        context,
        source: { kind: 'text', text },
        title: `Note ${index + 1}`,
      })
      const processed = await knowledge.processDocument({
        workspaceId: context.workspaceId,
        documentId: document.id,
      })
      expect(processed?.document.status).toBe('ready')
    }
  }
})

afterAll(async () => {
  await testDatabase?.close()
})

describe('vectorLegSettings', () => {
  it('weighs a lexical vector leg below full text, and a semantic one the same', () => {
    expect(vectorLegSettings('lexical')).toEqual({ minSimilarity: 0.1, vectorWeight: 0.5 })
    expect(vectorLegSettings('semantic')).toEqual({ minSimilarity: 0.2, vectorWeight: 1 })
  })

  it('with the lexical embedder, passages holding every word of the query come before look-alikes', async () => {
    const hits = await createService('lexical').searchKnowledge({
      context: contexts.get('lexical')!,
      query,
      k: 5,
    })
    const texts = hits.map((hit) => hit.text)
    expect(new Set(texts.slice(0, 2))).toEqual(new Set(fullMatches))
    expect(new Set(texts.slice(2))).toEqual(new Set(drafts))
  })

  it('with a semantic model, the vector leg counts as much as full text', async () => {
    const hits = await createService('semantic').searchKnowledge({
      context: contexts.get('semantic')!,
      query,
      k: 5,
    })
    const texts = hits.map((hit) => hit.text)
    expect(texts).toHaveLength(5)
    // The draft at vector rank 1 now ties with the best full-text match and beats the second.
    const bestDraft = Math.min(...drafts.map((draft) => texts.indexOf(draft)))
    expect(bestDraft).toBeGreaterThanOrEqual(0)
    expect(bestDraft).toBeLessThan(texts.indexOf(fullMatches[1]!))
  })
})
