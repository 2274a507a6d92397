import { parse } from 'csv-parse/sync'
import type { DocumentParser } from '../parsed-document.ts'
import { decodeText } from './decode-text.ts'
import { documentMimeTypes } from './detect-format.ts'
import { unreadableDocument } from './parser-errors.ts'
import { tableText } from './table-text.ts'

const candidateDelimiters = [',', ';', '\t', '|'] as const

/** Occurrences of `delimiter` in a line, outside double-quoted fields. */
function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0
  let quoted = false
  for (const character of line) {
    if (character === '"') quoted = !quoted
    else if (character === delimiter && !quoted) count++
  }
  return count
}

/**
 * The delimiter used by the first lines: the candidate present on every sampled line, most often
 * on average (comma when none is). Handles ";" (European Excel exports), tabs and pipes.
 */
export function sniffDelimiter(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, 10)
  let best: { delimiter: string; score: number } = { delimiter: ',', score: 0 }
  for (const delimiter of candidateDelimiters) {
    const counts = lines.map((line) => countOutsideQuotes(line, delimiter))
    if (counts.length === 0 || counts.some((count) => count === 0)) continue
    const score = counts.reduce((sum, count) => sum + count, 0) / counts.length
    if (score > best.score) best = { delimiter, score }
  }
  return best.delimiter
}

function looksNumeric(value: string): boolean {
  return /^[-+(]?[$€£¥]?\s?\d[\d,.\s']*%?\)?$/.test(value.trim())
}

/**
 * The first row is a header when its cells are all filled, none is a number, and it is not the
 * only row; otherwise rows are plain " | "-joined cells.
 */
function hasHeaderRow(rows: string[][]): boolean {
  const [first] = rows
  if (!first || rows.length < 2) return false
  return first.every((cell) => cell.trim() !== '' && !looksNumeric(cell))
}

function parseRows(text: string, delimiter: string, quote: boolean): string[][] {
  return parse(text, {
    delimiter,
    quote: quote ? '"' : false,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    trim: true,
  }) as string[][]
}

/**
 * CSV (and TSV) files: decoded like text, the delimiter sniffed, and every row written as
 * "Header: value; Header: value" using the header row, so each row reads on its own. One table
 * block holds the rows, a line per row. A quote that never closes is retried with quotes read
 * literally before the file is declared unreadable.
 */
export const csvParser: DocumentParser = {
  name: 'csv',
  mimeTypes: [documentMimeTypes.csv],
  async parse({ bytes, mimeType, fileName }) {
    const { text } = decodeText({ bytes })
    const delimiter = /\.tsv$/i.test(fileName ?? '') ? '\t' : sniffDelimiter(text)
    let rows: string[][]
    try {
      rows = parseRows(text, delimiter, true)
    } catch (error) {
      try {
        rows = parseRows(text, delimiter, false)
      } catch {
        throw unreadableDocument({ format: 'CSV', cause: error })
      }
    }
    const table = hasHeaderRow(rows)
      ? tableText({ header: rows[0], rows: rows.slice(1) })
      : tableText({ rows })
    return { mimeType, blocks: table === '' ? [] : [{ kind: 'table', text: table }] }
  },
}
