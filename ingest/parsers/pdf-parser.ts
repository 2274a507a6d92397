import { getDocumentProxy, getMeta } from 'unpdf'
import { AppError } from '../../core/index.ts'
import type { DocumentParser, ParsedBlock } from '../parsed-document.ts'
import { documentMimeTypes } from './detect-format.ts'
import { encryptedDocument, noTextFoundMessage, unreadableDocument } from './parser-errors.ts'
import { collapseWhitespace } from './text-cleanup.ts'

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>

/** A positioned piece of text from pdf.js. */
interface PdfTextItem {
  str: string
  x: number
  /** Baseline in PDF space (origin bottom-left). */
  y: number
  width: number
  fontSize: number
  hasEOL: boolean
}

/**
 * The text items of one page, upright text and rotated text apart: rotated text (margin stamps
 * such as arXiv's, vertical table headers) is not part of the reading flow.
 */
async function pageTextItems(
  document: PdfDocument,
  pageNumber: number,
): Promise<{ upright: PdfTextItem[]; rotated: string }> {
  const page = await document.getPage(pageNumber)
  try {
    const content = await page.getTextContent()
    const upright: PdfTextItem[] = []
    const rotated: string[] = []
    for (const item of content.items) {
      if (!('str' in item)) continue
      const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = item.transform as number[]
      const fontSize = Math.hypot(c, d) || Math.hypot(a, b)
      if (Math.abs(b) > 0.01 * fontSize || Math.abs(c) > 0.01 * fontSize || a < 0) {
        rotated.push(item.str, item.hasEOL ? ' ' : '')
        continue
      }
      upright.push({ str: item.str, x: e, y: f, width: item.width, fontSize, hasEOL: item.hasEOL })
    }
    return { upright, rotated: collapseWhitespace(rotated.join('')) }
  } finally {
    page.cleanup()
  }
}

/** One visual line of a page. */
interface PdfLine {
  text: string
  /** Baseline in PDF space (origin bottom-left, so it decreases down the page). */
  y: number
  fontSize: number
}

/** Builds lines from pdf.js text items: a line ends at an item flagged end-of-line or at a jump in y. */
function pageLines(items: PdfTextItem[]): PdfLine[] {
  const lines: PdfLine[] = []
  let current: { parts: string[]; y: number; fontSize: number; end: number } | undefined
  const finish = () => {
    if (!current) return
    const text = collapseWhitespace(current.parts.join(''))
    if (text !== '') lines.push({ text, y: current.y, fontSize: current.fontSize })
    current = undefined
  }
  for (const item of items) {
    const hasText = item.str.trim() !== ''
    if (
      current &&
      hasText &&
      Math.abs(item.y - current.y) > 0.6 * Math.max(current.fontSize, item.fontSize)
    ) {
      finish()
    }
    if (item.str !== '') {
      if (!current) {
        current = { parts: [], y: item.y, fontSize: hasText ? item.fontSize : 0, end: item.x }
      } else {
        // Words placed apart without a space item between them.
        const gap = item.x - current.end
        const previous = current.parts.at(-1) ?? ''
        if (hasText && gap > 0.25 * item.fontSize && !/\s$/.test(previous) && !/^\s/.test(item.str)) {
          current.parts.push(' ')
        }
      }
      current.parts.push(item.str)
      current.end = item.x + item.width
      if (hasText && item.fontSize > current.fontSize) {
        current.fontSize = item.fontSize
        current.y = item.y
      }
    }
    if (item.hasEOL) finish()
  }
  finish()
  return lines
}

interface PdfParagraph {
  lines: PdfLine[]
  fontSize: number
}

/**
 * Groups lines into paragraphs: a vertical gap clearly larger than the line height, a jump back
 * up the page (next column), or a change of font size starts a new paragraph.
 */
function pageParagraphs(lines: PdfLine[]): PdfParagraph[] {
  const paragraphs: PdfParagraph[] = []
  let current: PdfParagraph | undefined
  let previous: PdfLine | undefined
  for (const line of lines) {
    if (current && previous) {
      const size = Math.max(previous.fontSize, line.fontSize, 1)
      const gap = previous.y - line.y
      const sizeChanged = Math.abs(line.fontSize - previous.fontSize) > 0.15 * size
      if (gap > 1.45 * size || gap < -0.5 * size || sizeChanged) {
        paragraphs.push(current)
        current = undefined
      }
    }
    if (!current) current = { lines: [], fontSize: line.fontSize }
    current.lines.push(line)
    current.fontSize = Math.max(current.fontSize, line.fontSize)
    previous = line
  }
  if (current) paragraphs.push(current)
  return paragraphs
}

/** Joins the lines of a paragraph, undoing end-of-line hyphenation ("retrie-" + "val"). */
function joinLines(lines: PdfLine[]): string {
  let text = ''
  for (const line of lines) {
    if (text === '') text = line.text
    else if (/\p{Ll}-$/u.test(text) && /^\p{Ll}/u.test(line.text)) text = text.slice(0, -1) + line.text
    else text = `${text} ${line.text}`
  }
  return text
}

/** The font size that carries the most characters: the body text size. */
function bodyFontSize(paragraphs: PdfParagraph[]): number {
  const characters = new Map<number, number>()
  for (const paragraph of paragraphs) {
    for (const line of paragraph.lines) {
      const size = Math.round(line.fontSize * 2) / 2
      characters.set(size, (characters.get(size) ?? 0) + line.text.length)
    }
  }
  let best = 0
  let bestCount = -1
  for (const [size, count] of characters) {
    if (count > bestCount) {
      best = size
      bestCount = count
    }
  }
  return best
}

/**
 * A metadata title worth showing: not empty, not a file name ("loremipsum.jpg", "Microsoft Word -
 * report.docx"), not a placeholder like "untitled".
 */
function usableTitle(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const title = collapseWhitespace(value.replace(/^Microsoft (?:Word|PowerPoint|Excel) - /, ''))
  if (title === '' || /^untitled\b/i.test(title)) return undefined
  if (/\.(?:pdf|docx?|pptx?|xlsx?|jpe?g|png|tiff?|txt|html?|indd|qxp)$/i.test(title)) return undefined
  return title
}

function isPasswordError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'PasswordException' || /password/i.test(error.message))
}

/**
 * PDFs through pdf.js (unpdf): text per page, every block carrying its page number. Lines are
 * rebuilt from the text items' positions and grouped into paragraphs on vertical gaps, column
 * jumps and font-size changes; hyphenated line ends are joined. Short paragraphs set larger than
 * the body text (>= 1.08x, at most two lines, no final punctuation) become headings, level 1 for
 * the largest size. Rotated text (margin stamps) is kept as a paragraph at the end of its page,
 * never a heading. The title comes from the document metadata when it is not just a file name,
 * else the first level-1 heading.
 * Encrypted PDFs (a password is needed to open them) and damaged ones are 422s; a PDF with pages
 * but no text layer (a scan) gets a "no text" 422 that says so.
 */
export const pdfParser: DocumentParser = {
  name: 'pdf',
  mimeTypes: [documentMimeTypes.pdf],
  async parse({ bytes, mimeType }) {
    let document: Awaited<ReturnType<typeof getDocumentProxy>>
    try {
      // pdf.js may transfer the buffer it is given; a copy keeps the caller's bytes intact.
      document = await getDocumentProxy(new Uint8Array(bytes), {
        verbosity: 0,
        useSystemFonts: false,
      })
    } catch (error) {
      if (isPasswordError(error)) {
        throw encryptedDocument({ format: 'PDF', cause: error })
      }
      throw unreadableDocument({ format: 'PDF', cause: error })
    }
    try {
      const totalPages = document.numPages
      const pages: PdfParagraph[][] = []
      const rotatedText: string[] = []
      for (let pageNumber = 1; pageNumber <= totalPages; pageNumber++) {
        const { upright, rotated } = await pageTextItems(document, pageNumber)
        pages.push(pageParagraphs(pageLines(upright)))
        rotatedText.push(rotated)
      }
      const bodySize = bodyFontSize(pages.flat())
      const sizeKey = (paragraph: PdfParagraph) => Math.round(paragraph.fontSize * 2) / 2
      const looksLikeHeading = (paragraph: PdfParagraph, text: string) =>
        paragraph.fontSize >= bodySize * 1.08 &&
        paragraph.lines.length <= 2 &&
        text.length <= 150 &&
        !/[.,;]$/.test(text)
      const texts = pages.map((paragraphs) => paragraphs.map((paragraph) => joinLines(paragraph.lines)))
      const headingSizes = [
        ...new Set(
          pages.flatMap((paragraphs, pageIndex) =>
            paragraphs
              .filter((paragraph, index) => looksLikeHeading(paragraph, texts[pageIndex]![index]!))
              .map(sizeKey),
          ),
        ),
      ].sort((left, right) => right - left)

      const blocks: ParsedBlock[] = []
      pages.forEach((paragraphs, index) => {
        const page = index + 1
        paragraphs.forEach((paragraph, position) => {
          const text = texts[index]![position]!
          if (text === '') return
          const level = headingSizes.indexOf(sizeKey(paragraph)) + 1
          blocks.push(
            looksLikeHeading(paragraph, text)
              ? { kind: 'heading', level: Math.min(level, 6), text, page }
              : { kind: 'paragraph', text, page },
          )
        })
        if (rotatedText[index]) blocks.push({ kind: 'paragraph', text: rotatedText[index]!, page })
      })

      if (totalPages > 0 && blocks.length === 0) {
        throw new AppError('unprocessable_document', {
          message: `${noTextFoundMessage} The PDF has no text layer (it may be a scan); OCR is not done locally.`,
        })
      }

      let metadataTitle: string | undefined
      try {
        const { info } = await getMeta(document)
        metadataTitle = usableTitle((info as Record<string, unknown>).Title)
      } catch {
        metadataTitle = undefined
      }
      const firstHeading = blocks.find((block) => block.kind === 'heading' && block.level === 1)?.text
      return { title: metadataTitle ?? firstHeading, mimeType, pageCount: totalPages, blocks }
    } catch (error) {
      throw unreadableDocument({ format: 'PDF', cause: error })
    } finally {
      await document.loadingTask.destroy()
    }
  },
}
