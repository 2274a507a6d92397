import type { DocumentParser, ParsedBlock, ParsedDocument, ParseInput } from '../parsed-document.ts'
import { csvParser } from './csv-parser.ts'
import { detectFormat } from './detect-format.ts'
import { docxParser } from './docx-parser.ts'
import { emlParser } from './eml-parser.ts'
import { htmlParser } from './html-parser.ts'
import { noTextFound } from './parser-errors.ts'
import { pdfParser } from './pdf-parser.ts'
import { pptxParser } from './pptx-parser.ts'
import { removeControlCharacters } from './text-cleanup.ts'
import { textParser } from './text-parser.ts'
import { xlsxParser } from './xlsx-parser.ts'

/** Every local parser, one per format family. */
export const parsers: readonly DocumentParser[] = [
  textParser,
  htmlParser,
  csvParser,
  emlParser,
  pdfParser,
  docxParser,
  pptxParser,
  xlsxParser,
]

/** The MIME types `parseDocument` handles (what `detectFormat` can return). */
export const supportedMimeTypes: readonly string[] = parsers.flatMap((parser) => parser.mimeTypes)

/** The parser for a detected MIME type. */
export function parserFor(mimeType: string): DocumentParser | undefined {
  return parsers.find((parser) => parser.mimeTypes.includes(mimeType))
}

/** Trims block text, drops control characters (Postgres rejects NUL) and blocks left empty. */
function cleanBlocks(blocks: ParsedBlock[]): ParsedBlock[] {
  const cleaned: ParsedBlock[] = []
  for (const block of blocks) {
    const text = removeControlCharacters(block.text).trim()
    if (text !== '') cleaned.push({ ...block, text })
  }
  return cleaned
}

/**
 * Parses an uploaded or fetched document into blocks: the format is detected from the content
 * (the name and declared type only break ties between text formats), the matching parser runs,
 * and a document without any text is rejected. Errors are AppErrors: 415 `unsupported_media_type`
 * for formats not handled, 422 `unprocessable_document` for encrypted, damaged and empty files.
 */
export async function parseDocument(input: ParseInput): Promise<ParsedDocument> {
  const mimeType = await detectFormat(input)
  const parser = parserFor(mimeType)
  if (!parser) throw new Error(`no parser registered for ${mimeType}`)
  const parsed = await parser.parse({ ...input, mimeType })
  const blocks = cleanBlocks(parsed.blocks)
  if (blocks.length === 0) throw noTextFound()
  const title = parsed.title?.trim() || undefined
  return { ...parsed, title, mimeType, blocks }
}
