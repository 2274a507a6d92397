import type { BlockKind, ParsedBlock } from '../parsed-document.ts'

/** One element as the Unstructured API returns it (only the fields we read). */
export interface UnstructuredElement {
  type?: unknown
  text?: unknown
  metadata?: {
    page_number?: unknown
    category_depth?: unknown
    text_as_html?: unknown
    [key: string]: unknown
  }
  [key: string]: unknown
}

const kindByElementType: Record<string, BlockKind | 'skip'> = {
  Title: 'heading',
  Headline: 'heading',
  Subheadline: 'heading',
  'Section-header': 'heading',
  NarrativeText: 'paragraph',
  UncategorizedText: 'paragraph',
  Text: 'paragraph',
  Address: 'paragraph',
  EmailAddress: 'paragraph',
  FigureCaption: 'paragraph',
  Formula: 'paragraph',
  Footnote: 'paragraph',
  Link: 'paragraph',
  CompositeElement: 'paragraph',
  FormKeysValues: 'paragraph',
  ListItem: 'list',
  'List-item': 'list',
  BulletedText: 'list',
  List: 'list',
  Table: 'table',
  TableChunk: 'table',
  CodeSnippet: 'code',
  // Running headers/footers and page furniture repeat on every page and would pollute chunks.
  Header: 'skip',
  Footer: 'skip',
  'Page-header': 'skip',
  'Page-footer': 'skip',
  PageHeader: 'skip',
  PageFooter: 'skip',
  PageBreak: 'skip',
  PageNumber: 'skip',
  Image: 'skip',
  Picture: 'skip',
  Figure: 'skip',
}

export interface MappedElements {
  blocks: ParsedBlock[]
  /** The text of the first Title element. */
  title: string | undefined
  /** The highest page number seen. */
  pageCount: number | undefined
}

/**
 * Maps Unstructured elements into ParsedBlocks: Title -> heading (level = category_depth + 1),
 * narrative-like types -> paragraph, ListItem -> list, Table -> table (rows from text_as_html when
 * present, else the flat text), CodeSnippet -> code. Headers, footers, page breaks and images are
 * dropped; element types we do not know but that carry text become paragraphs, so no text is
 * lost when the API grows a new type.
 */
export function mapUnstructuredElements(elements: readonly UnstructuredElement[]): MappedElements {
  const blocks: ParsedBlock[] = []
  let title: string | undefined
  let pageCount: number | undefined
  for (const element of elements) {
    if (element === null || typeof element !== 'object') continue
    const type = typeof element.type === 'string' ? element.type : ''
    const metadata = element.metadata && typeof element.metadata === 'object' ? element.metadata : {}
    const page = positiveInteger(metadata.page_number)
    if (page !== undefined) pageCount = Math.max(pageCount ?? 0, page)

    const kind = kindByElementType[type] ?? 'paragraph'
    if (kind === 'skip') continue
    const rawText = typeof element.text === 'string' ? element.text : ''
    let text: string
    if (kind === 'table') {
      const html = typeof metadata.text_as_html === 'string' ? metadata.text_as_html : ''
      text = (html && tableHtmlToText(html)) || normalizeText(rawText)
    } else if (kind === 'code') {
      text = rawText.replace(/\s+$/, '')
    } else {
      text = normalizeText(rawText)
    }
    if (!text.trim()) continue

    const block: ParsedBlock = { kind, text }
    if (kind === 'heading') {
      const depth = nonNegativeInteger(metadata.category_depth)
      block.level = Math.min(6, (depth ?? 0) + 1)
      if (title === undefined && type === 'Title') title = text
    }
    if (page !== undefined) block.page = page
    blocks.push(block)
  }
  return { blocks, title, pageCount }
}

/** Flattens an HTML table into rows of " | "-separated cells, one row per line. */
export function tableHtmlToText(html: string): string {
  const rows: string[] = []
  for (const row of html.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr\s*>/gi)) {
    const cells = [...(row[1] ?? '').matchAll(/<t([hd])\b[^>]*>([\s\S]*?)<\/t\1\s*>/gi)].map((cell) =>
      normalizeText(decodeEntities((cell[2] ?? '').replace(/<[^>]*>/g, ' '))),
    )
    if (cells.some((cell) => cell !== '')) rows.push(cells.join(' | '))
  }
  return rows.join('\n')
}

function normalizeText(text: string): string {
  return text.replace(/[ \t\f\v\u00a0]+/g, ' ').trim()
}

const namedEntities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1))
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity
    }
    return namedEntities[body.toLowerCase()] ?? entity
  })
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined
}

function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined
}
