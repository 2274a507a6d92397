/**
 * The common shape every parser produces (local parsers and the Unstructured API alike), so
 * chunking, embedding and citations never care where text came from.
 */
export type BlockKind = 'heading' | 'paragraph' | 'list' | 'table' | 'code'

export interface ParsedBlock {
  kind: BlockKind
  /** Plain text. Tables are rows of "Header: value; Header: value" or " | "-separated cells. */
  text: string
  /** Heading level 1-6 (headings only). */
  level?: number
  /** 1-based page (PDF page, PPTX slide, XLSX sheet index) when the format has pages. */
  page?: number
}

export interface ParsedDocument {
  /** A title found in the document (PDF metadata, first H1, email subject...). */
  title?: string | undefined
  /** The detected format, as a MIME type. */
  mimeType: string
  /** Pages (PDF), slides (PPTX) or sheets (XLSX) when the format has them. */
  pageCount?: number | undefined
  blocks: ParsedBlock[]
}

/** Input to every parser: the raw bytes and what the uploader said about them. */
export interface ParseInput {
  bytes: Uint8Array
  fileName?: string | undefined
  /** The Content-Type the uploader declared; a hint only, the content decides. */
  declaredMimeType?: string | undefined
}

/** A parser for one family of formats. */
export interface DocumentParser {
  name: string
  /** MIME types this parser handles (after detection). */
  mimeTypes: readonly string[]
  parse(input: ParseInput & { mimeType: string }): Promise<ParsedDocument>
}
