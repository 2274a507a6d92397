import * as cheerio from 'cheerio'
import type { AnyNode, Element } from 'domhandler'
import type { ParsedBlock } from '../parsed-document.ts'
import { tableText } from './table-text.ts'
import { collapseWhitespace, removeControlCharacters } from './text-cleanup.ts'

/** Blocks and a title found in an HTML document or fragment. */
export interface HtmlBlocks {
  title: string | undefined
  blocks: ParsedBlock[]
}

/**
 * Elements that are never content: code, styling, navigation and page chrome, widgets, hidden
 * parts. `header` is handled separately (an article's own header holds its title).
 */
const removedSelector = [
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'nav',
  'aside',
  'footer',
  'iframe',
  'object',
  'embed',
  'canvas',
  'select',
  'button',
  'input',
  'textarea',
  'head',
  '[hidden]',
  '[aria-hidden="true"]',
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
  '[role="complementary"]',
  '[role="search"]',
  '[style*="display:none"]',
  '[style*="display: none"]',
].join(', ')

/** Elements that start and end a paragraph of their own. */
const paragraphTags = new Set(['p', 'blockquote', 'dt', 'dd', 'figcaption', 'address', 'summary', 'legend'])

/** Elements that separate their content from what is around them (but hold other blocks). */
const containerTags = new Set([
  'html',
  'body',
  'div',
  'section',
  'article',
  'main',
  'header',
  'figure',
  'details',
  'fieldset',
  'center',
  'dl',
  'li',
  'tr',
  'td',
  'th',
  'tbody',
  'thead',
  'tfoot',
  'caption',
  'form',
  'hgroup',
  'search',
])

/** Elements rendered as blocks (used when flattening a table cell or list item into one line). */
const blockTags = new Set([
  ...paragraphTags,
  ...containerTags,
  'pre',
  'ul',
  'ol',
  'table',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
])

/** Marks a <br> inside collected inline text until the paragraph is finished. */
const lineBreak = '\uE000'

function isElement(node: AnyNode): node is Element {
  return node.type === 'tag' || node.type === 'script' || node.type === 'style'
}

function headingLevel(tag: string): number | undefined {
  const match = /^h([1-6])$/.exec(tag)
  return match ? Number(match[1]) : undefined
}

/**
 * The text of a node on one line: block elements and <br> become spaces (cheerio's `.text()`
 * would glue "<p>a</p><p>b</p>" into "ab").
 */
function flatText(node: AnyNode): string {
  if (node.type === 'text') return node.data
  if (!isElement(node)) return ''
  const tag = node.name.toLowerCase()
  if (tag === 'br') return ' '
  const inner = node.children.map(flatText).join('')
  return blockTags.has(tag) ? ` ${inner} ` : inner
}

/** The text of a <pre>, whitespace kept, without leading/trailing blank lines. */
function preformattedText(raw: string): string {
  return removeControlCharacters(raw)
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '')
}

/**
 * A table used for page layout rather than data: it has a single column, holds headings, or
 * declares itself presentational. Layout tables are walked like containers.
 */
function isLayoutTable($: cheerio.CheerioAPI, table: Element): boolean {
  const role = $(table).attr('role')
  if (role === 'presentation' || role === 'none') return true
  if ($(table).find('h1, h2, h3, h4, h5, h6').length > 0) return true
  const rows = ownRows($, table)
  const widest = Math.max(0, ...rows.map((row) => $(row).children('td, th').length))
  return widest <= 1
}

/** The rows of this table, not of tables nested in its cells. */
function ownRows($: cheerio.CheerioAPI, table: Element): Element[] {
  const rows: Element[] = []
  for (const child of $(table).children().toArray()) {
    const tag = child.name.toLowerCase()
    if (tag === 'tr') rows.push(child)
    else if (tag === 'thead' || tag === 'tbody' || tag === 'tfoot')
      rows.push(...$(child).children('tr').toArray())
  }
  return rows
}

interface GridRow {
  cells: string[]
  isHeader: boolean
}

/**
 * The table as a grid of cell texts: a cell spanning several rows is repeated in each (so every
 * row reads on its own); a header cell spanning several columns labels each of them.
 */
function tableGrid($: cheerio.CheerioAPI, table: Element): GridRow[] {
  const grid: GridRow[] = []
  const pending = new Map<string, string>() // "row:column" -> text carried down by rowspan
  ownRows($, table).forEach((row, rowIndex) => {
    const cells: string[] = []
    const cellElements = $(row).children('td, th').toArray()
    const inHead = row.parent !== null && isElement(row.parent) && row.parent.name.toLowerCase() === 'thead'
    const isHeader = inHead || (cellElements.length > 0 && cellElements.every((cell) => cell.name === 'th'))
    let column = 0
    const fillPending = () => {
      while (pending.has(`${rowIndex}:${column}`)) {
        cells[column] = pending.get(`${rowIndex}:${column}`)!
        pending.delete(`${rowIndex}:${column}`)
        column++
      }
    }
    for (const cell of cellElements) {
      fillPending()
      const text = collapseWhitespace(flatText(cell))
      const colspan = Math.min(Math.max(Number($(cell).attr('colspan')) || 1, 1), 100)
      const rowspan = Math.min(Math.max(Number($(cell).attr('rowspan')) || 1, 1), 1000)
      for (let offset = 0; offset < colspan; offset++) {
        const value = offset === 0 || isHeader ? text : ''
        cells[column + offset] = value
        for (let below = 1; below < rowspan; below++)
          pending.set(`${rowIndex + below}:${column + offset}`, value)
      }
      column += colspan
    }
    fillPending()
    grid.push({ cells: Array.from(cells, (cell) => cell ?? ''), isHeader })
  })
  return grid
}

/** A data table as text: rows labelled by the header row(s) when there are any. */
function dataTableText($: cheerio.CheerioAPI, table: Element): string {
  const grid = tableGrid($, table)
  const leadingHeaders: GridRow[] = []
  for (const row of grid) {
    if (!row.isHeader) break
    leadingHeaders.push(row)
  }
  const body = grid.slice(leadingHeaders.length).map((row) => row.cells)
  if (leadingHeaders.length === 0) return tableText({ rows: body })
  const width = Math.max(...leadingHeaders.map((row) => row.cells.length))
  const header = Array.from({ length: width }, (_, column) => {
    const labels = leadingHeaders.map((row) => row.cells[column] ?? '').filter((label) => label !== '')
    return [...new Set(labels)].join(' / ')
  })
  if (body.length === 0) return tableText({ rows: [header] })
  return tableText({ header, rows: body })
}

/** Builds blocks while walking the DOM in document order. */
class BlockCollector {
  readonly blocks: ParsedBlock[] = []
  private inline: string[] = []

  constructor(private readonly $: cheerio.CheerioAPI) {}

  /** Ends the paragraph collected so far (if it has any text). */
  flush(): void {
    if (this.inline.length === 0) return
    const text = this.inline
      .join('')
      .split(lineBreak)
      .map((line) => collapseWhitespace(line))
      .filter((line) => line !== '')
      .join('\n')
    this.inline = []
    if (text !== '') this.blocks.push({ kind: 'paragraph', text })
  }

  walk(node: AnyNode): void {
    if (node.type === 'text') {
      this.inline.push(node.data)
      return
    }
    if (!isElement(node)) return
    const tag = node.name.toLowerCase()
    const level = headingLevel(tag)
    if (level !== undefined) {
      this.flush()
      const text = collapseWhitespace(flatText(node))
      if (text !== '') this.blocks.push({ kind: 'heading', level, text })
      return
    }
    if (tag === 'br') {
      this.inline.push(lineBreak)
      return
    }
    if (tag === 'hr' || tag === 'img') {
      if (tag === 'hr') this.flush()
      return
    }
    if (tag === 'pre') {
      this.flush()
      const text = preformattedText(this.$(node).text())
      const isCode =
        this.$(node).find('code').length > 0 ||
        /\b(?:code|lang(?:uage)?-|highlight)/i.test(node.attribs.class ?? '')
      if (text.trim() !== '') this.blocks.push({ kind: isCode ? 'code' : 'paragraph', text })
      return
    }
    if (tag === 'ul' || tag === 'ol') {
      this.flush()
      const lines: string[] = []
      this.collectList(node, 0, lines)
      if (lines.length > 0) this.blocks.push({ kind: 'list', text: lines.join('\n') })
      return
    }
    if (tag === 'table') {
      this.flush()
      if (isLayoutTable(this.$, node)) {
        this.walkChildren(node)
        this.flush()
        return
      }
      const caption = collapseWhitespace(this.$(node).children('caption').text())
      if (caption !== '') this.blocks.push({ kind: 'paragraph', text: caption })
      const text = dataTableText(this.$, node)
      if (text !== '') this.blocks.push({ kind: 'table', text })
      return
    }
    if (paragraphTags.has(tag) || containerTags.has(tag)) {
      this.flush()
      this.walkChildren(node)
      this.flush()
      return
    }
    this.walkChildren(node)
  }

  walkChildren(node: Element): void {
    for (const child of node.children) this.walk(child)
  }

  /** One line per list item ("- item" or "1. item"), nested lists indented under their item. */
  private collectList(list: Element, depth: number, lines: string[]): void {
    const ordered = list.name.toLowerCase() === 'ol'
    let number = Number(list.attribs.start) || 1
    for (const child of list.children) {
      if (!isElement(child)) continue
      const tag = child.name.toLowerCase()
      if (tag === 'ul' || tag === 'ol') {
        this.collectList(child, depth + 1, lines)
        continue
      }
      if (tag !== 'li') continue
      const nested = child.children.filter(
        (node): node is Element => isElement(node) && ['ul', 'ol'].includes(node.name.toLowerCase()),
      )
      const ownText = collapseWhitespace(
        child.children
          .filter((node) => !nested.includes(node as Element))
          .map(flatText)
          .join(''),
      )
      if (ownText !== '') {
        const marker = ordered ? `${number}.` : '-'
        lines.push(`${'  '.repeat(depth)}${marker} ${ownText}`)
      }
      number++
      for (const sublist of nested) this.collectList(sublist, depth + 1, lines)
    }
  }
}

/**
 * Turns HTML (a page, an email body, mammoth's DOCX output) into blocks: headings h1-h6 keep
 * their level; p, blockquote, pre and loose text become paragraphs (pre with code inside becomes
 * code); lists become one list block with a line per item; data tables become rows of
 * "Header: value; ..." (or " | "-joined cells without a header row), layout tables are read
 * like any container. Scripts, styles, navigation, page header/footer, asides, forms without
 * content and hidden elements are dropped.
 */
export function htmlToBlocks({ html }: { html: string }): HtmlBlocks {
  const $ = cheerio.load(html)
  const pageTitle = collapseWhitespace($('head > title, title').first().text())
  const ogTitle = collapseWhitespace($('meta[property="og:title"]').attr('content') ?? '')

  $(removedSelector).remove()
  // A page-level <header> is site chrome (logo, menu); an article's own <header> holds its title.
  $('header').each((_, header) => {
    if ($(header).closest('article, main, [role="main"]').length === 0) $(header).remove()
  })
  // Forms are widgets (search, login), except when a whole page is wrapped in one (ASP.NET).
  $('form').each((_, form) => {
    if ($(form).find('p, h1, h2, h3, h4, h5, h6, article, main, table').length === 0) $(form).remove()
  })

  const collector = new BlockCollector($)
  for (const node of $.root().children().toArray()) collector.walk(node)
  collector.flush()

  const firstHeading = collector.blocks.find((block) => block.kind === 'heading' && block.level === 1)
  const title = pageTitle || ogTitle || firstHeading?.text || undefined
  return { title, blocks: collector.blocks }
}
