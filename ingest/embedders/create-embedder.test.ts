import { describe, expect, it } from 'vitest'
import { createEmbedder } from './index.ts'

const openai = (overrides: { apiKey?: string; baseUrl?: string }) => ({
  openai: {
    apiKey: overrides.apiKey,
    baseUrl: overrides.baseUrl,
    chatModel: 'gpt-4o-mini',
    embeddingModel: 'text-embedding-3-small',
  },
})

describe('createEmbedder', () => {
  it('uses OpenAI when a key is configured', () => {
    const embedder = createEmbedder({ config: openai({ apiKey: 'sk-test' }) })
    expect(embedder).toMatchObject({ kind: 'semantic', model: 'openai:text-embedding-3-small' })
  })

  it('uses an OpenAI-compatible server when only a base URL is configured', () => {
    const embedder = createEmbedder({ config: openai({ baseUrl: 'http://127.0.0.1:11434/v1' }) })
    expect(embedder).toMatchObject({ kind: 'semantic', model: 'openai-compatible:text-embedding-3-small' })
  })

  it('falls back to the offline lexical embedder', () => {
    const embedder = createEmbedder({ config: openai({}) })
    expect(embedder).toMatchObject({ kind: 'lexical', model: 'nereid-lexical-v1-512', dimensions: 512 })
  })
})
