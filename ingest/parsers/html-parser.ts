import type { DocumentParser } from '../parsed-document.ts'
import { decodeText, htmlDeclaredCharset } from './decode-text.ts'
import { documentMimeTypes } from './detect-format.ts'
import { htmlToBlocks } from './html-to-blocks.ts'

/**
 * HTML pages. The bytes are decoded by BOM, then UTF-8 when valid, then the `<meta charset>`
 * the page declares, then a guess (Windows-1252 for Western text); see `htmlToBlocks` for what
 * is kept. The title is the page's <title> (or og:title, or its first h1).
 */
export const htmlParser: DocumentParser = {
  name: 'html',
  mimeTypes: [documentMimeTypes.html],
  async parse({ bytes, mimeType }) {
    const { text } = decodeText({ bytes, declaredCharset: htmlDeclaredCharset(bytes) })
    const { title, blocks } = htmlToBlocks({ html: text })
    return { title, mimeType, blocks }
  },
}
