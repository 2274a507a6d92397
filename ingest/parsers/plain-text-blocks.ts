import type { ParsedBlock } from '../parsed-document.ts'
import { tidyLines } from './text-cleanup.ts'

/** A line that starts with a bullet or a number, as people type lists in plain text. */
const listItemLine = /^\s*(?:[-*+•‣◦▪●–]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+\S/i

/**
 * Plain text as blocks: paragraphs are separated by blank lines (line breaks inside a paragraph
 * are kept), and a paragraph whose every line starts with a bullet or number is a list.
 */
export function plainTextToBlocks(text: string): ParsedBlock[] {
  const blocks: ParsedBlock[] = []
  for (const chunk of text.replace(/\r\n?/g, '\n').split(/\n[^\S\n]*\n/)) {
    const paragraph = tidyLines(chunk)
    if (paragraph === '') continue
    const lines = paragraph.split('\n').filter((line) => line !== '')
    const isList = lines.every((line) => listItemLine.test(line))
    blocks.push({ kind: isList ? 'list' : 'paragraph', text: lines.join('\n') })
  }
  return blocks
}
