import { collapseWhitespace } from './text-cleanup.ts'

/**
 * Turns one table row into readable text. With a header row each cell is labelled with its
 * column's header ("Region: EMEA; Revenue: 120"), so a row still makes sense on its own inside a
 * chunk; empty cells are left out. Without a header the cells are joined with " | ".
 */
export function tableRowText({
  header,
  cells,
}: {
  header?: readonly string[] | undefined
  cells: readonly string[]
}): string {
  const values = cells.map((cell) => collapseWhitespace(cell))
  if (!header || header.length === 0) return values.filter((value) => value !== '').join(' | ')
  const parts: string[] = []
  values.forEach((value, index) => {
    if (value === '') return
    const label = collapseWhitespace(header[index] ?? '')
    parts.push(label && label !== value ? `${label}: ${value}` : value)
  })
  return parts.join('; ')
}

/** A whole table as text, one line per row (rows without any text are left out). */
export function tableText({
  header,
  rows,
}: {
  header?: readonly string[] | undefined
  rows: readonly (readonly string[])[]
}): string {
  return rows
    .map((cells) => tableRowText({ header, cells }))
    .filter((line) => line !== '')
    .join('\n')
}
