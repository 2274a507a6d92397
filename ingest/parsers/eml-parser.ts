import PostalMime, { type Address } from 'postal-mime'
import type { DocumentParser, ParsedBlock } from '../parsed-document.ts'
import { documentMimeTypes } from './detect-format.ts'
import { htmlToBlocks } from './html-to-blocks.ts'
import { unreadableDocument } from './parser-errors.ts'
import { plainTextToBlocks } from './plain-text-blocks.ts'
import { collapseWhitespace } from './text-cleanup.ts'

/** "Name <address>" for mailboxes, "Group: a, b" for groups. */
function formatAddress(address: Address): string {
  if (address.group) return `${address.name}: ${address.group.map(formatAddress).join(', ')}`
  return address.name ? `${address.name} <${address.address}>` : address.address
}

function formatAddresses(addresses: Address[] | undefined): string {
  return (addresses ?? []).map(formatAddress).join(', ')
}

/**
 * Emails (.eml, RFC 822 / MIME): the subject as a level-1 heading and the title; a paragraph with
 * From, To, Cc and Date (the Date header as written) and attachment names; then the body, from
 * the text/plain part when there is one (paragraphs and lists as in plain text), else from the
 * HTML part. Attachments themselves are not parsed.
 */
export const emlParser: DocumentParser = {
  name: 'eml',
  mimeTypes: [documentMimeTypes.email],
  async parse({ bytes, mimeType }) {
    let email: Awaited<ReturnType<typeof PostalMime.parse>>
    try {
      email = await PostalMime.parse(bytes)
    } catch (error) {
      throw unreadableDocument({ format: 'email (EML)', cause: error })
    }
    const subject = collapseWhitespace(email.subject ?? '')
    const rawDate = email.headers.find((header) => header.key === 'date')?.value
    const attachments = email.attachments
      .filter((attachment) => attachment.filename && attachment.disposition !== 'inline')
      .map((attachment) => attachment.filename)
    const headerLines = [
      ['From', email.from ? formatAddress(email.from) : ''],
      ['To', formatAddresses(email.to)],
      ['Cc', formatAddresses(email.cc)],
      ['Date', collapseWhitespace(rawDate ?? email.date ?? '')],
      ['Attachments', attachments.join(', ')],
    ]
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}: ${value}`)

    const body = (email.text ?? '').trim()
    const bodyBlocks = body !== '' ? plainTextToBlocks(body) : htmlToBlocks({ html: email.html ?? '' }).blocks
    const blocks: ParsedBlock[] = []
    if (subject !== '') blocks.push({ kind: 'heading', level: 1, text: subject })
    if (headerLines.length > 0) blocks.push({ kind: 'paragraph', text: headerLines.join('\n') })
    blocks.push(...bodyBlocks)
    return { title: subject || undefined, mimeType, blocks }
  },
}
