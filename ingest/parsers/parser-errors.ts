import { AppError } from '../../core/index.ts'

/** The message for a document without any text (empty, whitespace only, or only images). */
export const noTextFoundMessage = 'No text found in the document.'

/** A 422 for a document that has no text to index. */
export function noTextFound(): AppError {
  return new AppError('unprocessable_document', { message: noTextFoundMessage })
}

/** A 422 for a password-protected document. */
export function encryptedDocument({ format, cause }: { format: string; cause?: unknown }): AppError {
  return new AppError('unprocessable_document', {
    message: `The ${format} is encrypted (password protected); remove the password and upload again.`,
    cause,
  })
}

/**
 * A one-line, length-limited reason taken from a library error, so the user gets a hint of what
 * is wrong without a stack trace or a multi-kilobyte dump. The full error stays in `cause`.
 */
export function shortReason(error: unknown): string {
  const raw = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  const firstLine = (raw.split('\n').find((line) => line.trim() !== '') ?? '').trim()
  if (firstLine === '') return 'the content is damaged or not in the expected format'
  return firstLine.length > 200 ? `${firstLine.slice(0, 197)}...` : firstLine
}

/**
 * A 422 for a file whose type was recognised but whose content cannot be read (truncated,
 * damaged, not really that format). `format` is the user-facing name: "PDF", "PPTX"...
 */
export function unreadableDocument({ format, cause }: { format: string; cause: unknown }): AppError {
  if (cause instanceof AppError) return cause
  const article = /^(?:[aeiou]|X)/i.test(format) ? 'an' : 'a'
  return new AppError('unprocessable_document', {
    message: `The file looks like ${article} ${format} but cannot be read: ${shortReason(cause)}`,
    cause,
  })
}
