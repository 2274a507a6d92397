import type ExcelJS from 'exceljs'
import type { DocumentParser, ParsedBlock } from '../parsed-document.ts'
import { documentMimeTypes } from './detect-format.ts'
import { usableOfficeTitle } from './office-core-properties.ts'
import { unreadableDocument } from './parser-errors.ts'
import { tableRowText } from './table-text.ts'
import { collapseWhitespace } from './text-cleanup.ts'

interface SheetCell {
  text: string
  numeric: boolean
}

/** A number as people read it: no floating-point noise (0.1 + 0.2), percentages as percent. */
function formatNumber(value: number, numberFormat: string | undefined): string {
  if (numberFormat?.includes('%')) return `${Number((value * 100).toPrecision(12))}%`
  return String(Number(value.toPrecision(15)))
}

function formatDate(value: Date): string {
  const iso = value.toISOString()
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}

/** A cell value (plain, rich text, hyperlink, formula result, error) as display text. */
function cellValueText(value: ExcelJS.CellValue, numberFormat: string | undefined): SheetCell {
  if (value === null || value === undefined) return { text: '', numeric: false }
  if (typeof value === 'number') return { text: formatNumber(value, numberFormat), numeric: true }
  if (typeof value === 'string') return { text: value, numeric: false }
  if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE', numeric: false }
  if (value instanceof Date) return { text: formatDate(value), numeric: true }
  if ('richText' in value) return { text: value.richText.map((run) => run.text).join(''), numeric: false }
  if ('hyperlink' in value) {
    const text = value.text as unknown
    if (typeof text === 'string') return { text, numeric: false }
    if (text && typeof text === 'object' && 'richText' in text)
      return cellValueText(text as ExcelJS.CellValue, undefined)
    return { text: value.hyperlink, numeric: false }
  }
  if ('formula' in value || 'sharedFormula' in value) {
    return cellValueText((value.result ?? null) as ExcelJS.CellValue, numberFormat)
  }
  if ('error' in value) return { text: value.error, numeric: false }
  return { text: '', numeric: false }
}

interface SheetRow {
  cells: SheetCell[]
  filled: number
  hasNumber: boolean
  /** A filled cell spans several columns (a merged title or note, not a table value). */
  spans: boolean
}

/** The rows of a sheet that have any text; merged areas keep their value in the top-left cell only. */
function sheetRows(worksheet: ExcelJS.Worksheet): SheetRow[] {
  const rows: SheetRow[] = []
  worksheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: SheetCell[] = []
    let spans = false
    row.eachCell({ includeEmpty: false }, (cell, columnNumber) => {
      if (cell.isMerged && cell.master.address !== cell.address) return
      if (cell.isMerged) spans = true
      const { text, numeric } = cellValueText(cell.value, cell.numFmt)
      cells[columnNumber - 1] = { text: collapseWhitespace(text), numeric }
    })
    const dense = Array.from(cells, (cell) => cell ?? { text: '', numeric: false })
    const filled = dense.filter((cell) => cell.text !== '').length
    const hasNumber = dense.some((cell) => cell.numeric && cell.text !== '')
    if (filled > 0) rows.push({ cells: dense, filled, hasNumber, spans })
  })
  return rows
}

/**
 * One sheet as blocks. Real sheets rarely start with a header in row 1: titles, notes and unit
 * lines come first, and a sheet may hold several tables. So a row with one filled cell is a
 * paragraph (title, footnote) unless it sits under a header column and is not merged across
 * columns (then it is a sparse table row); a row of text cells is a header when the next row has numbers
 * (in a sheet without numbers: the first such row is the header); rows under a header are
 * written as "Header: value; Header: value".
 */
function sheetBlocks(rows: SheetRow[]): ParsedBlock[] {
  const blocks: ParsedBlock[] = []
  const sheetHasNumbers = rows.some((row) => row.filled >= 2 && row.hasNumber)
  let header: string[] | undefined
  let tableLines: string[] = []
  const flushTable = () => {
    if (tableLines.length > 0) blocks.push({ kind: 'table', text: tableLines.join('\n') })
    tableLines = []
  }
  rows.forEach((row, index) => {
    const texts = row.cells.map((cell) => cell.text)
    if (row.filled === 1) {
      const column = texts.findIndex((text) => text !== '')
      if (header?.[column] && !row.spans) {
        tableLines.push(tableRowText({ header, cells: texts }))
        return
      }
      flushTable()
      blocks.push({ kind: 'paragraph', text: texts[column]! })
      return
    }
    if (!row.hasNumber) {
      const next = rows[index + 1]
      const isHeader = sheetHasNumbers
        ? next !== undefined && next.filled >= 2 && next.hasNumber
        : header === undefined
      if (isHeader) {
        flushTable()
        header = texts
        return
      }
      tableLines.push(tableRowText({ header: sheetHasNumbers ? undefined : header, cells: texts }))
      return
    }
    tableLines.push(tableRowText({ header, cells: texts }))
  })
  flushTable()
  return blocks
}

/**
 * Excel workbooks: one page per visible sheet (tab order), starting with the sheet name as a
 * level-1 heading, then the sheet's rows as text (see `sheetBlocks`). Cells show their values
 * (formula results, not formulas; dates as ISO dates). Hidden sheets are skipped.
 */
export const xlsxParser: DocumentParser = {
  name: 'xlsx',
  mimeTypes: [documentMimeTypes.xlsx],
  async parse({ bytes, mimeType }) {
    // Loaded on first use: exceljs takes a quarter of a second to import.
    const { default: excel } = await import('exceljs')
    const workbook = new excel.Workbook()
    try {
      await workbook.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never)
    } catch (error) {
      throw unreadableDocument({ format: 'XLSX', cause: error })
    }
    const sheets = workbook.worksheets.filter(
      (worksheet) => worksheet.state === 'visible' || !worksheet.state,
    )
    const blocks: ParsedBlock[] = []
    sheets.forEach((worksheet, index) => {
      const page = index + 1
      const name = collapseWhitespace(worksheet.name)
      const rows = sheetBlocks(sheetRows(worksheet))
      if (rows.length === 0) return
      if (name !== '') blocks.push({ kind: 'heading', level: 1, text: name, page })
      blocks.push(...rows.map((block) => ({ ...block, page })))
    })
    const title = usableOfficeTitle(workbook.title)
    return { title, mimeType, pageCount: sheets.length, blocks }
  },
}
