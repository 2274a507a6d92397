import { describe, expect, it } from 'vitest'
import { AppError } from '../../core/index.ts'
import { createLexicalEmbedder } from './lexical-embedder.ts'

const dot = (left: number[], right: number[]) =>
  left.reduce((sum, value, index) => sum + value * right[index]!, 0)
const length = (vector: number[]) => Math.sqrt(dot(vector, vector))

describe('createLexicalEmbedder', () => {
  it('is deterministic, offline and honest about what it is', async () => {
    const first = createLexicalEmbedder()
    const second = createLexicalEmbedder()
    const texts = ['Quarterly revenue forecast for the EMEA region', 'Café crème brûlée recipe', '']
    expect(await first.embed(texts)).toEqual(await second.embed(texts))
    expect(first).toMatchObject({ model: 'nereid-lexical-v1-512', dimensions: 512, kind: 'lexical' })
  })

  it('returns unit-length vectors, including for empty and stop-word-only texts', async () => {
    const embedder = createLexicalEmbedder()
    const vectors = await embedder.embed([
      'Renewal of the Acme contract',
      '',
      '   ',
      'to be or not to be',
      '🚀',
      'x',
    ])
    for (const vector of vectors) {
      expect(vector).toHaveLength(512)
      expect(length(vector)).toBeCloseTo(1, 10)
      expect(vector.every(Number.isFinite)).toBe(true)
    }
  })

  it('scores a query higher against a document that shares its words than against an unrelated one', async () => {
    const embedder = createLexicalEmbedder()
    const [query, documentA, documentB] = await embedder.embed([
      'How do I renew the Acme support contract?',
      'Contract renewals: the Acme support contract renews every March; ask the account manager.',
      'The marketing team launches the spring newsletter campaign to all subscribers next week.',
    ])
    expect(dot(query!, documentA!)).toBeGreaterThan(dot(query!, documentB!) + 0.2)
  })

  it('matches word forms and accents through character n-grams and normalisation', async () => {
    const embedder = createLexicalEmbedder()
    const [invoicing, invoices, weather, cafe, cafeAccent] = await embedder.embed([
      'invoicing',
      'invoices',
      'weather',
      'CAFE MENU',
      'café menu',
    ])
    expect(dot(invoicing!, invoices!)).toBeGreaterThan(dot(invoicing!, weather!) + 0.2)
    expect(dot(cafe!, cafeAccent!)).toBeCloseTo(1, 10)
  })

  it('respects the dimensions setting and rejects impossible ones', async () => {
    const embedder = createLexicalEmbedder({ dimensions: 64 })
    expect(embedder.model).toBe('nereid-lexical-v1-64')
    expect(embedder.dimensions).toBe(64)
    const [vector] = await embedder.embed(['Sixty-four dimensions only'])
    expect(vector).toHaveLength(64)
    expect(length(vector!)).toBeCloseTo(1, 10)
    for (const dimensions of [0, 7, 2001, 10.5]) {
      expect(() => createLexicalEmbedder({ dimensions })).toThrow(AppError)
    }
  })

  it('stops when the caller aborts', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      createLexicalEmbedder().embed(['text'], { abortSignal: controller.signal }),
    ).rejects.toThrow()
  })
})
