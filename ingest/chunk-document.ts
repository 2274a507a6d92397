import { AppError } from '../core/index.ts'
import { countTokens } from './embedders/token-count.ts'
import type { BlockKind, ParsedDocument } from './parsed-document.ts'

/**
 * Structure-aware chunking: a parsed document becomes ~500-token chunks that follow its headings,
 * keep tables and code whole where they fit, and carry the document title and heading path.
 *
 * Sizes, in `cl100k_base` tokens (the embedding models' tokenizer):
 * - target 500 with 50 overlap is Dify's default segmentation (max 500 tokens, overlap 50);
 *   Onyx chunks at 512 tokens with no overlap. Both are anchors for "about a paragraph or five":
 *   small enough that one chunk is about one thing, large enough to keep its context.
 * - `maxTokens` (default target x 1.6) is the hard ceiling. Chunks are packed up to the target;
 *   only a table or code block that must stay whole (or a block plus its overlap) may go beyond
 *   the target, never beyond the ceiling.
 *
 * Rules:
 * - A heading stack (by level) gives every chunk its heading path.
 * - A heading at or above the level of the section a chunk started in (a sibling or a parent
 *   section) always ends that chunk: text is never merged across such a change. Preamble text
 *   before the first heading never merges with a section either. A deeper heading (a subsection
 *   of the chunk's section) is packed into the chunk as a line of text when its first block fits
 *   whole in the room left, so small subsections do not become crumbs; the chunk keeps the
 *   parent's heading path (their common ancestor). Otherwise the subsection starts a new chunk
 *   with its own, deeper heading path.
 * - Paragraphs and lists that fit the target are kept whole and moved to the next chunk when the
 *   current one is at least half full; otherwise (too long, or the current chunk is mostly
 *   empty) they flow by sentences (lists by items), then words, then characters.
 * - Tables and code blocks are kept whole when they fit `maxTokens`; bigger ones are split by rows
 *   (lines), then words. Rows are not rewritten and headers are not repeated.
 * - When a section continues into the next chunk (a split forced by size), the next chunk starts
 *   with ~`overlapTokens` copied from the end of the previous one: whole sentences (or rows /
 *   lines) where possible, trailing words only when the last sentence alone is bigger than the
 *   overlap. A new section or subsection starts clean, without overlap, and a whole table or
 *   code block is not repeated as overlap (rows of a split table are).
 * - Pages: each block's page (inherited by blocks that have none). A new page starts a new chunk,
 *   so answers cite the page a passage is on; `pageEnd` is only set when one block (a table or
 *   paragraph the format reports across pages) spans pages.
 * - Headings longer than 200 characters are treated as paragraphs (parsers sometimes take a
 *   bold paragraph for a heading; a heading path is meant to be short). A document made only of
 *   headings (a deck of title slides) is chunked as if its headings were paragraphs.
 */
export interface DocumentChunk {
  /** 0-based order within the document. */
  position: number
  /** The chunk's own text (without title or heading path). */
  text: string
  /** Headings from the outermost to the innermost section the chunk belongs to. */
  headingPath: string[]
  /** The page of the chunk's first text, when the format has pages. */
  page: number | undefined
  /** The last page, only when the chunk spans more than one page. */
  pageEnd?: number
  /** Exact `cl100k_base` token count of `text`. */
  tokenCount: number
  /** What gets embedded: title, heading path and text, so each chunk stands on its own. */
  embeddingText: string
}

export interface ChunkDocumentOptions {
  document: ParsedDocument
  /** The document's title as stored; defaults to the parsed title. */
  title?: string | undefined
  targetTokens?: number
  overlapTokens?: number
  /** Hard ceiling per chunk; defaults to `targetTokens * 1.6`. */
  maxTokens?: number
}

const maxHeadingCharacters = 200
/** Tokens assumed for the blank line between two parts of a chunk. */
const partSeparatorTokens = 1
/** Head-room against the small difference between summed and exact token counts. */
const ceilingMargin = 8

type Splitter = (text: string) => string[]

interface Unit {
  /** A substring of the source text including its trailing whitespace. */
  text: string
  tokens: number
}

interface Block {
  index: number
  kind: BlockKind
  text: string
  level: number
  page: number | undefined
}

interface Part {
  kind: BlockKind
  blockIndex: number
  page: number | undefined
  units: Unit[]
  tokens: number
}

interface OpenChunk {
  headingPath: string[]
  /** Level of the innermost heading when the chunk started; 0 = preamble. */
  sectionLevel: number
  parts: Part[]
  /** Estimated tokens of the whole chunk text. */
  tokens: number
  /** Tokens other than overlap: 0 means nothing new has been added yet. */
  contentTokens: number
}

/**
 * Splits a parsed document into chunks for embedding and citation (see the rules above).
 * Returns [] for a document with no text.
 */
export function chunkDocument({
  document,
  title,
  targetTokens = 500,
  overlapTokens = 50,
  maxTokens,
}: ChunkDocumentOptions): DocumentChunk[] {
  const target = targetTokens
  const ceiling = maxTokens ?? Math.floor(targetTokens * 1.6)
  validateSizes({ target, overlap: overlapTokens, ceiling })

  let blocks = normalizeBlocks(document)
  if (blocks.length === 0) return []
  if (blocks.every((block) => block.kind === 'heading')) {
    blocks = blocks.map((block) => ({ ...block, kind: 'paragraph' }))
  }

  const stack: { level: number; text: string }[] = []
  let pending: Block[] = []
  const drafts: { headingPath: string[]; parts: Part[] }[] = []

  const newChunk = (): OpenChunk => ({
    headingPath: stack.map((heading) => heading.text),
    sectionLevel: stack.at(-1)?.level ?? 0,
    parts: [],
    tokens: 0,
    contentTokens: 0,
  })
  let chunk = newChunk()

  const appendUnit = (
    block: Pick<Block, 'index' | 'kind' | 'page'>,
    unit: Unit,
    isContent: boolean,
  ): void => {
    const last = chunk.parts.at(-1)
    if (last && last.blockIndex === block.index && last.kind === block.kind) {
      last.units.push(unit)
      last.tokens += unit.tokens
      chunk.tokens += unit.tokens
      if (isContent) chunk.contentTokens += unit.tokens
      return
    }
    const separator = chunk.parts.length > 0 ? partSeparatorTokens : 0
    chunk.parts.push({
      kind: block.kind,
      blockIndex: block.index,
      page: block.page,
      units: [unit],
      tokens: unit.tokens,
    })
    chunk.tokens += separator + unit.tokens
    if (isContent) chunk.contentTokens += separator + unit.tokens
  }

  /**
   * Ends the open chunk. `continuing` (the block whose text goes on in the next chunk) asks for
   * overlap: the next chunk then starts with the tail of this one.
   */
  const flush = (continuing?: Block): void => {
    if (chunk.contentTokens > 0) drafts.push({ headingPath: chunk.headingPath, parts: chunk.parts })
    const overlap =
      continuing && chunk.contentTokens > 0 ? takeOverlap(chunk.parts, overlapTokens, continuing.index) : []
    chunk = newChunk()
    pending = []
    for (const part of overlap) {
      for (const unit of part.units)
        appendUnit({ index: part.blockIndex, kind: part.kind, page: part.page }, unit, false)
    }
  }

  const pendingTokens = (): number =>
    pending.reduce((sum, heading) => sum + countTokens(heading.text) + partSeparatorTokens, 0)

  const attachPending = (): void => {
    for (const heading of pending) {
      appendUnit(heading, { text: heading.text, tokens: countTokens(heading.text) }, true)
    }
    pending = []
  }

  /** Adds one unit of a content block, moving to a new chunk (with overlap) when it does not fit. */
  const addPiece = (block: Block, unit: Unit): void => {
    const last = chunk.parts.at(-1)
    const continuing = last !== undefined && last.blockIndex === block.index
    const separator = chunk.parts.length === 0 || continuing ? 0 : partSeparatorTokens
    if (chunk.tokens + separator + unit.tokens <= target) {
      appendUnit(block, unit, true)
      return
    }
    if (chunk.contentTokens === 0) {
      // Only overlap (or nothing) so far: the unit goes here; drop the overlap if both would
      // break the ceiling.
      if (chunk.parts.length > 0 && chunk.tokens + separator + unit.tokens > ceiling - ceilingMargin) {
        chunk = newChunk()
      }
      appendUnit(block, unit, true)
      return
    }
    flush(block)
    addPiece(block, unit)
  }

  const onHeading = (block: Block): void => {
    if (chunk.contentTokens > 0 && (chunk.sectionLevel === 0 || block.level <= chunk.sectionLevel)) {
      flush()
    }
    while (stack.length > 0 && stack.at(-1)!.level >= block.level) stack.pop()
    stack.push({ level: block.level, text: block.text })
    if (chunk.contentTokens === 0) {
      // Nothing of this chunk yet: the heading becomes part of its path (and any overlap goes,
      // because a new section starts here).
      chunk = newChunk()
      pending = []
      return
    }
    // A subsection inside the chunk's section: kept as a line if its content joins this chunk.
    while (pending.length > 0 && pending.at(-1)!.level >= block.level) pending.pop()
    pending.push(block)
  }

  const onContent = (block: Block): void => {
    const tokens = countTokens(block.text)
    const flowing = block.kind === 'paragraph' || block.kind === 'list'
    const keepWhole = flowing ? tokens <= target : tokens <= ceiling
    const headingCost = pending.length > 0 ? pendingTokens() : 0
    const separator = chunk.parts.length > 0 ? partSeparatorTokens : 0
    const room = target - chunk.tokens - separator - headingCost
    if (tokens <= room) {
      attachPending()
      appendUnit(block, { text: block.text, tokens }, true)
      return
    }
    // A subsection whose first block does not fit here starts a chunk of its own.
    if (pending.length > 0) flush()
    if (keepWhole && (!flowing || chunk.contentTokens === 0 || chunk.contentTokens >= target / 2)) {
      addPiece(block, { text: block.text, tokens })
      return
    }
    // Too long for one chunk, or a short block that should fill up a mostly empty chunk.
    const units = splitIntoUnits(block.text, levelsFor(block.kind), target, tokens, keepWhole)
    for (const unit of units) addPiece(block, unit)
  }

  for (const block of blocks) {
    // A new page starts a new chunk (no overlap across it), so a citation names one page.
    const lastPage = chunk.parts.at(-1)?.page
    if (
      block.kind !== 'heading' &&
      chunk.contentTokens > 0 &&
      block.page !== undefined &&
      lastPage !== undefined &&
      block.page !== lastPage
    ) {
      flush()
    }
    if (block.kind === 'heading') onHeading(block)
    else onContent(block)
  }
  flush()

  const documentTitle = (title ?? document.title ?? '').trim()
  const chunks: DocumentChunk[] = []
  for (const draft of drafts) {
    for (const piece of finalizeDraft(draft.parts, { target, ceiling })) {
      const pageFields: { page: number | undefined; pageEnd?: number } = { page: piece.page }
      if (piece.pageEnd !== undefined && piece.page !== undefined && piece.pageEnd > piece.page) {
        pageFields.pageEnd = piece.pageEnd
      }
      chunks.push({
        position: chunks.length,
        text: piece.text,
        headingPath: draft.headingPath,
        ...pageFields,
        tokenCount: piece.tokenCount,
        embeddingText: buildEmbeddingText({
          title: documentTitle,
          headingPath: draft.headingPath,
          text: piece.text,
        }),
      })
    }
  }
  return chunks
}

/** `${title}\n${heading > path}\n\n${text}`, leaving out empty parts. */
export function buildEmbeddingText({
  title,
  headingPath,
  text,
}: {
  title: string
  headingPath: string[]
  text: string
}): string {
  const header = [title, headingPath.join(' > ')].filter((line) => line.length > 0).join('\n')
  return header.length > 0 ? `${header}\n\n${text}` : text
}

function validateSizes({
  target,
  overlap,
  ceiling,
}: {
  target: number
  overlap: number
  ceiling: number
}): void {
  const problem = (message: string) => new AppError('bad_request', { message: `chunkDocument: ${message}` })
  if (!Number.isInteger(target) || target < 1) throw problem('targetTokens must be a positive integer')
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= target) {
    throw problem('overlapTokens must be an integer from 0 to less than targetTokens')
  }
  if (!Number.isInteger(ceiling) || ceiling < target)
    throw problem('maxTokens must be an integer >= targetTokens')
}

function normalizeBlocks(document: ParsedDocument): Block[] {
  const blocks: Block[] = []
  let page: number | undefined
  for (const [index, block] of document.blocks.entries()) {
    if (typeof block.page === 'number' && Number.isFinite(block.page)) page = block.page
    let kind = block.kind
    let text = block.text.trim()
    if (text.length === 0) continue
    if (kind === 'heading') {
      text = text.replace(/\s+/g, ' ')
      if (text.length > maxHeadingCharacters) kind = 'paragraph'
    }
    const level =
      kind === 'heading' ? (Number.isFinite(block.level) ? Math.max(1, Math.trunc(block.level ?? 1)) : 1) : 0
    blocks.push({ index, kind, text, level, page })
  }
  return blocks
}

// --- splitting -------------------------------------------------------------------------------

/** Ends of sentences: terminal punctuation (and closing quotes) + whitespace before a non-lowercase
 * character (so "e.g. the" stays together), CJK full stops, and blank lines. */
const sentenceBoundary = /[.!?…]+["'”’»)\]]*\s+(?=[^\p{Ll}])|[。！？]+["'”’」』)\]]*\s*|\n[^\S\n]*\n\s*/gu

const splitSentences: Splitter = (text) => splitAtMatches(text, sentenceBoundary)
const splitLines: Splitter = (text) => splitAtMatches(text, /\n+/g)
const splitWords: Splitter = (text) => text.match(/\S+\s*|\s+/g) ?? [text]

/** Pieces that end at (and include) each match; their concatenation is the input. */
function splitAtMatches(text: string, pattern: RegExp): string[] {
  const pieces: string[] = []
  let start = 0
  for (const match of text.matchAll(pattern)) {
    const end = match.index + match[0].length
    if (end > start && end < text.length) {
      pieces.push(text.slice(start, end))
      start = end
    }
  }
  if (start < text.length) pieces.push(text.slice(start))
  return pieces
}

function levelsFor(kind: BlockKind): Splitter[] {
  switch (kind) {
    case 'paragraph':
    case 'heading':
      return [splitSentences, splitLines, splitWords]
    case 'list':
      return [splitLines, splitSentences, splitWords]
    case 'table':
    case 'code':
      return [splitLines, splitWords]
    default:
      return [splitSentences, splitLines, splitWords]
  }
}

/**
 * Splits `text` into consecutive units of at most `limit` tokens, trying each level in turn
 * (e.g. sentences, then words) and cutting by characters only when a single word is too long.
 */
function splitIntoUnits(
  text: string,
  levels: Splitter[],
  limit: number,
  knownTokens?: number,
  splitEvenIfFits = false,
): Unit[] {
  const units: Unit[] = []
  const visit = (piece: string, depth: number, tokens: number, force = false): void => {
    if (tokens <= limit && !force) {
      units.push({ text: piece, tokens })
      return
    }
    const split = levels[depth]
    if (split === undefined) {
      units.push(...sliceByTokens(piece, limit, tokens))
      return
    }
    const pieces = split(piece)
    if (pieces.length <= 1) {
      if (force) units.push({ text: piece, tokens })
      else visit(piece, depth + 1, tokens)
      return
    }
    for (const sub of pieces) visit(sub, depth + 1, countPieceTokens(sub))
  }
  visit(text, 0, knownTokens ?? countTokens(text), splitEvenIfFits)
  return units
}

/**
 * Tokens of a piece as it will count inside the joined text: its trailing whitespace merges into
 * the next piece's first token (" word"), so it is not counted on its own.
 */
function countPieceTokens(piece: string): number {
  const trimmed = piece.trimEnd()
  return countTokens(trimmed.length > 0 ? trimmed : piece)
}

/** Last resort for a "word" longer than the limit (a blob, a URL, unspaced script). */
function sliceByTokens(text: string, limit: number, tokens: number): Unit[] {
  const units: Unit[] = []
  const charactersPerToken = text.length / Math.max(tokens, 1)
  let start = 0
  while (start < text.length) {
    let size = Math.max(1, Math.floor(limit * charactersPerToken * 0.9))
    for (;;) {
      let end = Math.min(text.length, start + size)
      // never cut a surrogate pair
      if (end < text.length && /[\uDC00-\uDFFF]/.test(text.charAt(end))) end -= 1
      if (end <= start) end = Math.min(text.length, start + 2)
      const slice = text.slice(start, end)
      const count = countTokens(slice)
      if (count <= limit || slice.length <= 2) {
        units.push({ text: slice, tokens: count })
        start = end
        break
      }
      size = Math.max(1, Math.floor(size * 0.7))
    }
  }
  return units
}

// --- overlap ---------------------------------------------------------------------------------

/**
 * The tail of a finished chunk to repeat at the start of the next one: whole sentences (rows,
 * lines) up to `budget` tokens, words only when not even the last sentence fits. Stops at a
 * subsection heading line, and at a table or code block unless that very block continues in the
 * next chunk (a whole small table is not repeated in front of the next block).
 */
function takeOverlap(parts: Part[], budget: number, continuingBlock: number): Part[] {
  if (budget <= 0) return []
  const taken: Part[] = []
  let remaining = budget
  for (let index = parts.length - 1; index >= 0; index--) {
    const part = parts[index]!
    if (part.kind === 'heading') break
    if ((part.kind === 'table' || part.kind === 'code') && part.blockIndex !== continuingBlock) break
    const source = part.units.map((unit) => unit.text).join('')
    const isLast = index === parts.length - 1
    const levels = levelsFor(part.kind)
    const tail = tailUnits(source, isLast ? levels : levels.slice(0, -1), remaining)
    if (tail.units.length === 0) break
    taken.unshift({ ...part, units: tail.units, tokens: tail.tokens })
    remaining -= tail.tokens + partSeparatorTokens
    if (!tail.complete || remaining <= 0) break
  }
  return taken
}

function tailUnits(
  source: string,
  levels: Splitter[],
  budget: number,
): { units: Unit[]; tokens: number; complete: boolean } {
  // A part ends with the trimmed end of its text; leading whitespace of the tail is dropped.
  const text = source.trimEnd()
  const counted = new Map<string, number>()
  for (const split of levels) {
    const pieces = split(text)
    const units: Unit[] = []
    let used = 0
    for (let index = pieces.length - 1; index >= 0; index--) {
      const piece = pieces[index]!
      let tokens = counted.get(piece)
      if (tokens === undefined) {
        tokens = countPieceTokens(piece)
        counted.set(piece, tokens)
      }
      if (used + tokens > budget) break
      units.unshift({ text: piece, tokens })
      used += tokens
    }
    if (units.length > 0) {
      // Keep the whitespace the last unit had in the source, so text appended after it in the
      // next chunk reads on naturally.
      const trailing = source.slice(text.length)
      const last = units.at(-1)!
      units[units.length - 1] = { text: last.text + trailing, tokens: last.tokens }
      units[0] = { text: units[0]!.text.trimStart(), tokens: units[0]!.tokens }
      return { units, tokens: used, complete: units.length === pieces.length }
    }
  }
  return { units: [], tokens: 0, complete: false }
}

// --- output ----------------------------------------------------------------------------------

interface FinalPiece {
  text: string
  tokenCount: number
  page: number | undefined
  pageEnd: number | undefined
}

function partText(part: Part): string {
  return part.units
    .map((unit) => unit.text)
    .join('')
    .trim()
}

function finalizeDraft(
  parts: Part[],
  { target, ceiling }: { target: number; ceiling: number },
): FinalPiece[] {
  const texts = parts.map(partText)
  const text = texts.filter((value) => value.length > 0).join('\n\n')
  if (text.length === 0) return []
  const pages = parts.map((part) => part.page).filter((page): page is number => page !== undefined)
  const page = pages[0]
  const pageEnd = pages.length > 0 ? Math.max(...pages) : undefined
  const tokenCount = countTokens(text)
  if (tokenCount <= ceiling) return [{ text, tokenCount, page, pageEnd }]
  // Safety net (summed estimates drifted past the ceiling): re-split the text by lines and words.
  const pieces: FinalPiece[] = []
  let current = ''
  for (const unit of splitIntoUnits(text, [splitLines, splitWords], target, tokenCount)) {
    const candidate = current + unit.text
    if (current.length > 0 && countTokens(candidate.trim()) > target) {
      pieces.push(finalPiece(current, page, pageEnd))
      current = unit.text
    } else {
      current = candidate
    }
  }
  if (current.trim().length > 0) pieces.push(finalPiece(current, page, pageEnd))
  return pieces
}

function finalPiece(text: string, page: number | undefined, pageEnd: number | undefined): FinalPiece {
  const trimmed = text.trim()
  return { text: trimmed, tokenCount: countTokens(trimmed), page, pageEnd }
}
