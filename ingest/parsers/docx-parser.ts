import JSZip from 'jszip'
import type { DocumentParser } from '../parsed-document.ts'
import { documentMimeTypes } from './detect-format.ts'
import { htmlToBlocks } from './html-to-blocks.ts'
import { officeCoreTitle } from './office-core-properties.ts'
import { unreadableDocument } from './parser-errors.ts'

/**
 * Word's Title and Subtitle styles are headings too (mammoth maps only Heading 1-6 by default);
 * the Title paragraph is marked so it can become the document title.
 */
const styleMap = ["p[style-name='Title'] => h1.document-title:fresh", "p[style-name='Subtitle'] => h2:fresh"]

/**
 * Word documents: mammoth turns the DOCX into semantic HTML (headings from Heading/Title styles,
 * lists, tables, footnotes), which is then read like any HTML (headings with levels, list
 * blocks, table rows). The title is the Title-styled paragraph, else the core properties' title.
 * No pages: DOCX has no fixed pagination.
 */
export const docxParser: DocumentParser = {
  name: 'docx',
  mimeTypes: [documentMimeTypes.docx],
  async parse({ bytes, mimeType }) {
    try {
      // Loaded on first use, like the other heavy format libraries.
      const { default: mammoth } = await import('mammoth')
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      // Images are dropped (mammoth would inline them as base64 data URIs).
      const convertImage = mammoth.images.imgElement(async () => ({ src: '' }))
      const { value: html } = await mammoth.convertToHtml({ buffer }, { styleMap, convertImage })
      const { blocks } = htmlToBlocks({ html })
      const titleMatch = /<h1 class="document-title">([\s\S]*?)<\/h1>/.exec(html)
      const styledTitle = titleMatch ? htmlToBlocks({ html: titleMatch[1]! }).blocks[0]?.text : undefined
      const title = styledTitle ?? (await officeCoreTitle(await JSZip.loadAsync(bytes)))
      return { title, mimeType, blocks }
    } catch (error) {
      throw unreadableDocument({ format: 'DOCX', cause: error })
    }
  },
}
