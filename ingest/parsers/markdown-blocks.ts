import type { ParsedBlock } from '../parsed-document.ts'
import { tableText } from './table-text.ts'
import { collapseWhitespace, removeControlCharacters } from './text-cleanup.ts'

/** Blocks and a title found in a Markdown document. */
export interface MarkdownBlocks {
  title: string | undefined
  blocks: ParsedBlock[]
}

const fenceOpen = /^ {0,3}(`{3,}|~{3,})(.*)$/
const atxHeading = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/
const setextUnderline = /^ {0,3}(=+|-+)[ \t]*$/
const thematicBreak = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/
const listItem = /^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$/
const blockquote = /^ {0,3}>[ \t]?(.*)$/
const tableSeparator = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/
const referenceDefinition = /^ {0,3}\[[^\]]+\]:[ \t]*\S+/

/** Markdown inline syntax reduced to the text a reader sees. */
export function markdownInlineText(text: string): string {
  return collapseWhitespace(
    text
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
      .replace(/<((?:https?|mailto):[^>\s]+)>/g, '$1')
      .replace(/<\/?[a-zA-Z][^>]*>/g, '')
      .replace(/(`+)(.+?)\1/g, '$2')
      .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
      .replace(/(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])/g, '$1')
      .replace(/(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])/g, '$1')
      .replace(/~~(.+?)~~/g, '$1')
      .replace(/\\([\\`*_{}[\]()#+\-.!|>~])/g, '$1'),
  )
}

function tableCells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => markdownInlineText(cell.replace(/\\\|/g, '|')))
}

/** The `title:` of a YAML front matter block, unquoted. */
function frontMatterTitle(lines: string[]): string | undefined {
  for (const line of lines) {
    const match = /^title:\s*(.+?)\s*$/i.exec(line)
    if (match) return match[1]!.replace(/^["']|["']$/g, '') || undefined
  }
  return undefined
}

/**
 * Markdown as blocks: ATX (`#`) and setext headings keep their level, fenced and indented code
 * become code blocks, list items become one list block (a line per item, nesting indented),
 * GFM tables become rows of "Header: value; ...", everything else is a paragraph with the
 * inline syntax (links, emphasis, code spans, HTML tags) reduced to its text. The title is the
 * front matter `title:` or the first level-1 heading.
 */
export function markdownToBlocks(source: string): MarkdownBlocks {
  const lines = removeControlCharacters(source).split('\n')
  const blocks: ParsedBlock[] = []
  let title: string | undefined
  let paragraph: string[] = []
  let listLines: string[] = []
  /** Whether the open list's top-level items are numbered: a change of item type starts a new list. */
  let listOrdered: boolean | undefined
  let index = 0

  const flushParagraph = () => {
    const text = markdownInlineText(paragraph.join(' '))
    paragraph = []
    if (text !== '') blocks.push({ kind: 'paragraph', text })
  }
  const flushList = () => {
    if (listLines.length > 0) blocks.push({ kind: 'list', text: listLines.join('\n') })
    listLines = []
    listOrdered = undefined
  }
  const flushAll = () => {
    flushParagraph()
    flushList()
  }

  if (/^---\s*$/.test(lines[0] ?? '')) {
    const end = lines.findIndex((line, position) => position > 0 && /^(?:---|\.\.\.)\s*$/.test(line))
    if (end > 0 && end < 200) {
      title = frontMatterTitle(lines.slice(1, end))
      index = end + 1
    }
  }

  while (index < lines.length) {
    const line = lines[index]!

    const fence = fenceOpen.exec(line)
    if (fence && !(fence[1]!.startsWith('`') && fence[2]!.includes('`'))) {
      flushAll()
      const marker = fence[1]!
      const code: string[] = []
      index++
      while (index < lines.length) {
        const closing = lines[index]!.trim()
        if (closing.startsWith(marker[0]!.repeat(marker.length)) && /^(`+|~+)$/.test(closing)) break
        code.push(lines[index]!.trimEnd())
        index++
      }
      index++ // the closing fence (or the end of the file)
      const text = code.join('\n').replace(/^\n+|\n+$/g, '')
      if (text.trim() !== '') blocks.push({ kind: 'code', text })
      continue
    }

    if (line.trim() === '') {
      flushParagraph()
      // A blank line ends a list unless the list goes on after it.
      let next = index + 1
      while (next < lines.length && lines[next]!.trim() === '') next++
      const following = lines[next] ?? ''
      if (!(listItem.test(following) || (/^[ \t]{2,}\S/.test(following) && listLines.length > 0))) flushList()
      index++
      continue
    }

    const heading = atxHeading.exec(line)
    if (heading) {
      flushAll()
      const text = markdownInlineText(heading[2] ?? '')
      const level = heading[1]!.length
      if (text !== '') {
        blocks.push({ kind: 'heading', level, text })
        if (level === 1 && title === undefined) title = text
      }
      index++
      continue
    }

    const underline = setextUnderline.exec(line)
    if (underline && paragraph.length > 0 && listLines.length === 0) {
      const text = markdownInlineText(paragraph.join(' '))
      paragraph = []
      const level = underline[1]!.startsWith('=') ? 1 : 2
      if (text !== '') {
        blocks.push({ kind: 'heading', level, text })
        if (level === 1 && title === undefined) title = text
      }
      index++
      continue
    }

    if (thematicBreak.test(line)) {
      flushAll()
      index++
      continue
    }

    if (
      line.includes('|') &&
      tableSeparator.test(lines[index + 1] ?? '') &&
      lines[index + 1]!.includes('|')
    ) {
      flushAll()
      const header = tableCells(line)
      const rows: string[][] = []
      index += 2
      while (index < lines.length && lines[index]!.trim() !== '' && lines[index]!.includes('|')) {
        rows.push(tableCells(lines[index]!))
        index++
      }
      const text = rows.length > 0 ? tableText({ header, rows }) : tableText({ rows: [header] })
      if (text !== '') blocks.push({ kind: 'table', text })
      continue
    }

    const item = listItem.exec(line)
    if (item && !(paragraph.length > 0 && listLines.length === 0 && /^\d/.test(item[2]!))) {
      flushParagraph()
      const depth = Math.floor(item[1]!.replace(/\t/g, '    ').length / 2)
      const ordered = /^\d/.test(item[2]!)
      if (depth === 0) {
        if (listOrdered !== undefined && listOrdered !== ordered) flushList()
        listOrdered = ordered
      }
      const marker = ordered ? item[2]!.replace(')', '.') : '-'
      const text = markdownInlineText(item[3]!)
      if (text !== '') listLines.push(`${'  '.repeat(Math.min(depth, 6))}${marker} ${text}`)
      index++
      continue
    }

    if (listLines.length > 0 && paragraph.length === 0 && /^[ \t]+\S/.test(line)) {
      // A continuation line of the last list item.
      listLines[listLines.length - 1] += ` ${markdownInlineText(line)}`
      index++
      continue
    }

    if (/^(?: {4}|\t)/.test(line) && paragraph.length === 0) {
      flushList()
      const code: string[] = []
      while (index < lines.length && (/^(?: {4}|\t)/.test(lines[index]!) || lines[index]!.trim() === '')) {
        code.push(lines[index]!.replace(/^(?: {4}|\t)/, '').trimEnd())
        index++
      }
      const text = code.join('\n').replace(/^\n+|\n+$/g, '')
      if (text !== '') blocks.push({ kind: 'code', text })
      continue
    }

    if (referenceDefinition.test(line)) {
      index++
      continue
    }

    flushList()
    const quote = blockquote.exec(line)
    paragraph.push(quote ? quote[1]! : line)
    index++
  }
  flushAll()
  return { title, blocks }
}
