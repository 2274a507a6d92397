export { csvParser, sniffDelimiter } from './csv-parser.ts'
export { type DecodedText, decodeText } from './decode-text.ts'
export {
  type DocumentMimeType,
  detectFormat,
  documentMimeTypes,
  looksLikeEmail,
  looksLikeHtml,
} from './detect-format.ts'
export { docxParser } from './docx-parser.ts'
export { emlParser } from './eml-parser.ts'
export { htmlParser } from './html-parser.ts'
export { type HtmlBlocks, htmlToBlocks } from './html-to-blocks.ts'
export { type MarkdownBlocks, markdownToBlocks } from './markdown-blocks.ts'
export { parseDocument, parserFor, parsers, supportedMimeTypes } from './parse-document.ts'
export { noTextFoundMessage } from './parser-errors.ts'
export { pdfParser } from './pdf-parser.ts'
export { plainTextToBlocks } from './plain-text-blocks.ts'
export { pptxParser } from './pptx-parser.ts'
export { tableRowText, tableText } from './table-text.ts'
export { textParser } from './text-parser.ts'
export { xlsxParser } from './xlsx-parser.ts'
