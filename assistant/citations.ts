import type { UIMessageChunk } from 'ai'
import type { ChunkHit } from '../db/index.ts'

/** A numbered source of one answer: the [n] the text refers to. */
export interface Citation {
  index: number
  chunkId: string
  documentId: string
  title: string
  page: number | null
  headingPath: string[]
  fileName: string | null
  sourceUrl: string | null
}

/**
 * Numbers the passages one turn retrieves, in the order they are first seen, so a chunk found by
 * two searches keeps one number and [n] in the text always maps to the same document and page.
 */
export function createCitationRegistry() {
  const byChunk = new Map<string, Citation>()
  return {
    /** The citation of a retrieved chunk, numbered on first sight; `isNew` says whether it was. */
    add(hit: ChunkHit): { citation: Citation; isNew: boolean } {
      const known = byChunk.get(hit.chunkId)
      if (known) return { citation: known, isNew: false }
      const citation: Citation = {
        index: byChunk.size + 1,
        chunkId: hit.chunkId,
        documentId: hit.documentId,
        title: hit.title,
        page: hit.page,
        headingPath: hit.headingPath,
        fileName: hit.fileName,
        sourceUrl: hit.sourceUrl,
      }
      byChunk.set(hit.chunkId, citation)
      return { citation, isNew: true }
    },
    list(): Citation[] {
      return [...byChunk.values()]
    },
  }
}

export type CitationRegistry = ReturnType<typeof createCitationRegistry>

/**
 * The stream part that carries a citation to AI SDK clients: a `source-document` whose id is the
 * chunk, with the document id, page and number under `providerMetadata.nereid`.
 */
export function sourceChunkFor(citation: Citation): UIMessageChunk {
  return {
    type: 'source-document',
    sourceId: citation.chunkId,
    mediaType: 'text/plain',
    title: citation.title,
    ...(citation.fileName ? { filename: citation.fileName } : {}),
    providerMetadata: {
      nereid: {
        index: citation.index,
        documentId: citation.documentId,
        chunkId: citation.chunkId,
        page: citation.page,
        headingPath: citation.headingPath,
        ...(citation.sourceUrl ? { url: citation.sourceUrl } : {}),
      },
    },
  }
}

/** "Handbook, p. 3" */
export function describeCitation(citation: Citation): string {
  return citation.page === null ? citation.title : `${citation.title}, p. ${citation.page}`
}
