import type { KnownBlock } from '@slack/web-api'
import { escapeText } from './markdown-to-mrkdwn.ts'

/** A `source-document` chunk of the assistant's stream (see assistant/citations.ts). */
export interface SourceChunk {
  type: 'source-document'
  sourceId: string
  title: string
  filename?: string | undefined
  providerMetadata?: { nereid?: { index?: number; page?: number | null; url?: string } } | undefined
}

/**
 * The sources an answer cites, as one context block: `[1] <url|Title>, p. 2 · [2] Handbook`.
 * Only sources whose number appears in the text are listed; a source with a URL (a fetched web
 * page) links to it, a document shows its title and page.
 */
export function citationBlocks({ sources, text }: { sources: SourceChunk[]; text: string }): KnownBlock[] {
  const cited = new Set([...text.matchAll(/\[(\d{1,3})\]/g)].map((match) => Number(match[1])))
  const byIndex = new Map<number, SourceChunk>()
  for (const source of sources) {
    const index = source.providerMetadata?.nereid?.index
    if (typeof index === 'number' && cited.has(index) && !byIndex.has(index)) byIndex.set(index, source)
  }
  if (byIndex.size === 0) return []
  const entries = [...byIndex.entries()]
    .sort(([left], [right]) => left - right)
    .map(([index, source]) => {
      const meta = source.providerMetadata?.nereid
      const title = escapeText(source.title || source.filename || 'Untitled').replace(/\|/g, '¦')
      const label =
        meta?.url && /^https?:\/\//.test(meta.url)
          ? `<${meta.url.replace(/[<>|]/g, encodeURIComponent)}|${title}>`
          : `*${title}*`
      return `[${index}] ${label}${typeof meta?.page === 'number' ? `, p. ${meta.page}` : ''}`
    })
  let line = `:books: ${entries.join('  ·  ')}`
  if (line.length > 2_900) line = `${line.slice(0, 2_890)}…`
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text: line }] }]
}
