/**
 * Small text helpers shared by the parsers, so every format ends up with the same kind of text:
 * no control characters (Postgres rejects NUL in text), no non-breaking or zero-width oddities,
 * single spaces inside a line.
 */

/** Control characters except tab and line feed, plus zero-width characters and the BOM. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const unwantedCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200D\u2060\uFEFF]/g

/** Removes control and zero-width characters and turns CR/CRLF into LF. */
export function removeControlCharacters(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(unwantedCharacters, '')
}

/** Collapses every run of whitespace (line breaks included) into one space and trims. */
export function collapseWhitespace(text: string): string {
  return removeControlCharacters(text).replace(/\s+/g, ' ').trim()
}

/**
 * Collapses spaces inside each line but keeps the line breaks (trimmed lines, no empty lines at the
 * start or end, at most one empty line in a row).
 */
export function tidyLines(text: string): string {
  return removeControlCharacters(text)
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
