import type { ParsedDocument, ParseInput } from './parsed-document.ts'
import { detectFormat, parseDocument } from './parsers/index.ts'
import { createUnstructuredParser } from './sources/index.ts'

/**
 * The parse function ingestion uses: the local parsers, or, when `UNSTRUCTURED_API_URL` is set,
 * the Unstructured API for the formats it handles (format detection stays local, so unsupported
 * files are refused the same way either way).
 */
export function chooseParser({
  apiUrl,
  apiKey,
}: {
  apiUrl: string | undefined
  apiKey: string | undefined
}): (input: ParseInput) => Promise<ParsedDocument> {
  if (!apiUrl) return parseDocument
  const unstructured = createUnstructuredParser({ apiUrl, ...(apiKey ? { apiKey } : {}) })
  return async (input) => {
    const mimeType = await detectFormat(input)
    if (!unstructured.mimeTypes.includes(mimeType)) return parseDocument(input)
    return unstructured.parse({ ...input, mimeType })
  }
}
