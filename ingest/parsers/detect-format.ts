import { fileTypeFromBuffer } from 'file-type'
import JSZip from 'jszip'
import { AppError } from '../../core/index.ts'
import type { ParseInput } from '../parsed-document.ts'
import { decodeText, looksBinary } from './decode-text.ts'
import { encryptedDocument } from './parser-errors.ts'

/** The MIME types Nereid parses, one per detected format. */
export const documentMimeTypes = {
  text: 'text/plain',
  markdown: 'text/markdown',
  html: 'text/html',
  csv: 'text/csv',
  email: 'message/rfc822',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const

export type DocumentMimeType = (typeof documentMimeTypes)[keyof typeof documentMimeTypes]

/** The part that identifies each Office Open XML format inside its ZIP container. */
const officeMainParts = [
  { part: 'word/document.xml', mimeType: documentMimeTypes.docx },
  { part: 'ppt/presentation.xml', mimeType: documentMimeTypes.pptx },
  { part: 'xl/workbook.xml', mimeType: documentMimeTypes.xlsx },
] as const

const officeByExtension: Record<string, DocumentMimeType> = {
  docx: documentMimeTypes.docx,
  docm: documentMimeTypes.docx,
  pptx: documentMimeTypes.pptx,
  pptm: documentMimeTypes.pptx,
  xlsx: documentMimeTypes.xlsx,
  xlsm: documentMimeTypes.xlsx,
}

const friendlyBinaryNames: Record<string, string> = {
  cfb: 'a legacy Microsoft Office file (.doc, .xls, .ppt or .msg)',
  doc: 'a legacy Word document (.doc)',
  xls: 'a legacy Excel workbook (.xls)',
  ppt: 'a legacy PowerPoint presentation (.ppt)',
  msg: 'an Outlook message (.msg)',
  odt: 'an OpenDocument text file (.odt)',
  ods: 'an OpenDocument spreadsheet (.ods)',
  odp: 'an OpenDocument presentation (.odp)',
  epub: 'an EPUB e-book',
  rtf: 'an RTF document',
  zip: 'a ZIP archive',
  elf: 'an executable program (ELF)',
  exe: 'an executable program (.exe)',
  svg: 'an SVG image',
}

/** The lower-case extension of a file name, without the dot ('' when there is none). */
function extensionOf(fileName: string | undefined): string {
  const match = /\.([a-z0-9]+)$/i.exec(fileName ?? '')
  return match?.[1]?.toLowerCase() ?? ''
}

/** The MIME type part of a Content-Type header, lower-case, without parameters. */
function baseMimeType(declared: string | undefined): string {
  return (declared ?? '').split(';')[0]!.trim().toLowerCase()
}

function unsupported(found: string): AppError {
  return new AppError('unsupported_media_type', {
    message:
      `Unsupported file type: this looks like ${found}. ` +
      'Supported formats: PDF, DOCX, PPTX, XLSX, CSV, HTML, Markdown, plain text and email (.eml).',
  })
}

/**
 * Which Office format a ZIP holds, decided by its main part. A ZIP JSZip cannot open (truncated,
 * damaged) is reported as the Office type its name or sniffed type claims, so the parser turns it
 * into a clear "cannot be read" 422 instead of a confusing 415.
 */
async function detectZipContent({
  bytes,
  claimedOfficeType,
  sniffedExtension,
}: {
  bytes: Uint8Array
  claimedOfficeType: DocumentMimeType | undefined
  sniffedExtension: string
}): Promise<DocumentMimeType> {
  let zip: JSZip
  try {
    zip = await JSZip.loadAsync(bytes)
  } catch (error) {
    if (claimedOfficeType) return claimedOfficeType
    const unreadable = unsupported('a damaged ZIP archive')
    unreadable.cause = error
    throw unreadable
  }
  for (const { part, mimeType } of officeMainParts) {
    if (zip.file(part)) return mimeType
  }
  const odfType = await zip.file('mimetype')?.async('string')
  if (odfType?.includes('opendocument.text')) throw unsupported(friendlyBinaryNames.odt!)
  if (odfType?.includes('opendocument.spreadsheet')) throw unsupported(friendlyBinaryNames.ods!)
  if (odfType?.includes('opendocument.presentation')) throw unsupported(friendlyBinaryNames.odp!)
  if (odfType?.includes('epub')) throw unsupported(friendlyBinaryNames.epub!)
  // A package that claims to be Office but lacks its main part is a broken Office file, not a ZIP.
  if (claimedOfficeType && zip.file('[Content_Types].xml')) return claimedOfficeType
  throw unsupported(
    sniffedExtension === 'zip'
      ? 'a ZIP archive without a Word, PowerPoint or Excel document in it'
      : `a ZIP-based .${sniffedExtension} file`,
  )
}

/**
 * True when an OLE compound file is an encrypted Office Open XML document: Office stores
 * password-protected .docx/.xlsx/.pptx in a compound file with an "EncryptionInfo" stream.
 */
function isEncryptedOoxml(bytes: Uint8Array): boolean {
  const marker = Buffer.from('EncryptionInfo', 'utf16le')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(marker)
}

const textLikeSniffs = new Set<string>(['xml', 'ics', 'vcf'])

const htmlElementStart =
  /^<(?:!doctype\s+html|html|head|body|meta|title|link|style|script|div|p|h[1-6]|table|ul|ol|section|article|main|span|a|br|img|form|header|nav)[\s>/]/i

/** Strips a BOM, an XML declaration and leading comments: what an HTML sniff looks past. */
function markupStart(text: string): string {
  return text
    .slice(0, 4096)
    .replace(/^\uFEFF/, '')
    .replace(/^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*/i, '')
}

/** True when decoded text is a whole HTML page: it starts with a doctype or an <html> element. */
export function looksLikeHtmlPage(text: string): boolean {
  return /^<(?:!doctype\s+html|html)[\s>]/i.test(markupStart(text))
}

/**
 * True when decoded text is an HTML document: after an optional XML declaration and comments it
 * starts with a doctype or an HTML element, or it starts with markup and names <html>/<body>/<head>
 * in its first KB.
 */
export function looksLikeHtml(text: string): boolean {
  const start = markupStart(text)
  if (!start.startsWith('<')) return false
  if (htmlElementStart.test(start)) return true
  return /<(?:html|head|body)[\s>]/i.test(start.slice(0, 1024))
}

const knownMailHeaders = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'mime-version',
  'message-id',
  'received',
  'return-path',
  'reply-to',
  'sender',
  'delivered-to',
  'content-type',
  'content-transfer-encoding',
  'in-reply-to',
  'references',
  'x-mailer',
  'dkim-signature',
  'authentication-results',
])

/**
 * True when decoded text starts with an RFC 822 header block: every line up to the first blank
 * line is a "Name: value" header (or a folded continuation), with at least three well-known mail
 * headers (one when the uploader already says it is an email), one of them From, Subject,
 * MIME-Version, Received or Message-ID.
 */
export function looksLikeEmail(text: string, { hinted }: { hinted: boolean }): boolean {
  const lines = text
    .slice(0, 16_384)
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
  let first = 0
  if (lines[0]?.startsWith('From ')) first = 1 // mbox "From " separator line
  let known = 0
  let strong = false
  let headers = 0
  for (let index = first; index < lines.length; index++) {
    const line = lines[index]!
    if (line.trim() === '') break
    if (/^[ \t]/.test(line)) {
      if (headers === 0) return false
      continue
    }
    const match = /^([!-9;-~]+):/.exec(line)
    if (!match) return false
    headers++
    const name = match[1]!.toLowerCase()
    if (knownMailHeaders.has(name)) known++
    if (['from', 'subject', 'mime-version', 'received', 'message-id'].includes(name)) strong = true
  }
  return strong && known >= (hinted ? 1 : 3)
}

/**
 * The format of a document as one of `documentMimeTypes`. The content decides first (magic bytes,
 * the parts inside a ZIP, HTML and email sniffing); the file name and declared type only choose
 * between plain text, Markdown and CSV, which look alike. A file named `x.pdf` that holds text is
 * text. Unknown binary content is a 415 naming what was found.
 */
export async function detectFormat({
  bytes,
  fileName,
  declaredMimeType,
}: ParseInput): Promise<DocumentMimeType> {
  const extension = extensionOf(fileName)
  const declared = baseMimeType(declaredMimeType)
  const claimedOfficeType =
    officeByExtension[extension] ??
    Object.values(documentMimeTypes).find(
      (mimeType) => mimeType === declared && mimeType.startsWith('application/vnd'),
    )

  if (bytes.length === 0) return documentMimeTypes.text

  const sniffed = await fileTypeFromBuffer(bytes)
  // Text formats file-type knows (XML, calendars, vCards) are read as text below.
  const sniffedText = sniffed && (sniffed.mime.startsWith('text/') || textLikeSniffs.has(sniffed.ext))
  if (sniffed && !sniffedText) {
    if (sniffed.ext === 'pdf') return documentMimeTypes.pdf
    if (['docx', 'pptx', 'xlsx', 'zip'].includes(sniffed.ext) || sniffed.mime === 'application/zip') {
      const sniffedOffice = officeByExtension[sniffed.ext]
      return detectZipContent({
        bytes,
        claimedOfficeType: sniffedOffice ?? claimedOfficeType,
        sniffedExtension: sniffed.ext,
      })
    }
    if (sniffed.ext === 'cfb') {
      if (isEncryptedOoxml(bytes)) {
        throw encryptedDocument({ format: 'Office document' })
      }
      throw unsupported(
        friendlyBinaryNames[extension] ?? `${friendlyBinaryNames.cfb}; save it as .docx, .xlsx or .pptx`,
      )
    }
    throw unsupported(friendlyBinaryNames[sniffed.ext] ?? `a .${sniffed.ext} file (${sniffed.mime})`)
  }

  if (looksBinary(bytes)) {
    throw unsupported(extension ? `binary data, not a readable .${extension} file` : 'binary data')
  }

  const { text } = decodeText({ bytes: bytes.subarray(0, 64 * 1024) })
  if (/^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<svg[\s>]/i.test(text.slice(0, 4096))) {
    throw unsupported(friendlyBinaryNames.svg!)
  }
  const markdownHinted =
    ['md', 'markdown', 'mdown', 'mkd', 'mdx'].includes(extension) || declared === 'text/markdown'
  // Markdown may open with raw HTML (a centered logo in a README); only a full page is HTML then.
  if (markdownHinted ? looksLikeHtmlPage(text) : looksLikeHtml(text)) return documentMimeTypes.html
  const emailHinted = extension === 'eml' || declared === 'message/rfc822'
  if (looksLikeEmail(text, { hinted: emailHinted })) return documentMimeTypes.email

  if (markdownHinted) return documentMimeTypes.markdown
  if (['csv', 'tsv'].includes(extension) || ['text/csv', 'text/tab-separated-values'].includes(declared)) {
    return documentMimeTypes.csv
  }
  return documentMimeTypes.text
}
