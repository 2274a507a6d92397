import type { DocumentParser } from '../parsed-document.ts'
import { decodeText } from './decode-text.ts'
import { documentMimeTypes } from './detect-format.ts'
import { markdownToBlocks } from './markdown-blocks.ts'
import { plainTextToBlocks } from './plain-text-blocks.ts'

/**
 * Plain text and Markdown. Decoding handles UTF-8 (with or without BOM), UTF-16 LE/BE (BOM, or
 * recognised by its NUL bytes), and legacy single-byte text such as Windows-1252 (chardet's guess).
 * Markdown keeps headings, lists, tables and code fences as blocks; plain text splits paragraphs
 * on blank lines and recognises bullet lists.
 */
export const textParser: DocumentParser = {
  name: 'text',
  mimeTypes: [documentMimeTypes.text, documentMimeTypes.markdown],
  async parse({ bytes, mimeType }) {
    const { text } = decodeText({ bytes })
    if (mimeType === documentMimeTypes.markdown) {
      const { title, blocks } = markdownToBlocks(text)
      return { title, mimeType, blocks }
    }
    return { mimeType, blocks: plainTextToBlocks(text) }
  },
}
