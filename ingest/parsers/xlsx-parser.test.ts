import { readFileSync } from 'node:fs'
import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { parseDocument } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

describe('XLSX', () => {
  it('reads a real financial workbook: a page per sheet, rows labelled by the header row under the titles', async () => {
    const document = await parseDocument({ bytes: fixture('2023-half-year-analyses-by-segment.xlsx') })
    expect(document.mimeType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(document.pageCount).toBe(5)
    expect(document.blocks[0]).toEqual({
      kind: 'heading',
      level: 1,
      text: 'OS-Rev.and results 30 06 2023',
      page: 1,
    })
    expect(document.blocks).toContainEqual({ kind: 'paragraph', text: '3.1 Operating segments', page: 1 })

    const lines = document.blocks
      .filter((block) => block.kind === 'table')
      .flatMap((block) => block.text.split('\n').map((line) => ({ line, page: block.page })))
    const pageOfLine = (start: string) => lines.find(({ line }) => line.startsWith(start))?.page
    expect(pageOfLine('Zone NA; Sales (a): 12553; Underlying Trading operating profit (b): 2713;')).toBe(1)
    expect(pageOfLine('Nestlé Health Science; Sales (a): 3318;')).toBe(1)
    // A formula cell shows its computed value.
    expect(pageOfLine('Total; Sales (a): 46293;')).toBe(1)
    expect(pageOfLine('PetCare; Sales: 9373;')).toBe(3)
    expect(
      pageOfLine('In millions of CHF: Operating profit; January–June 2023: 7262; January–June 2022: 6619'),
    ).toBe(5)
    expect(document.blocks).toContainEqual({
      kind: 'paragraph',
      text: '(a) Inter-segment sales are not significant.',
      page: 1,
    })
  })

  it('formats dates, percentages and merged cells, and skips hidden sheets', async () => {
    const workbook = new ExcelJS.Workbook()
    workbook.title = 'Pipeline'
    const deals = workbook.addWorksheet('Deals')
    deals.addRow(['Deal', 'Owner', 'Close date', 'Probability'])
    deals.addRow(['Acme renewal', 'Ada', new Date(Date.UTC(2024, 2, 31)), 0.25])
    deals.getCell('D2').numFmt = '0%'
    deals.addRow(['Globex expansion', 'Grace', new Date(Date.UTC(2024, 5, 1)), 0.6])
    deals.getCell('D3').numFmt = '0%'
    deals.addRow([])
    deals.addRow(['Figures as of the Monday pipeline review'])
    deals.mergeCells('A5:D5')
    const hidden = workbook.addWorksheet('Lookup')
    hidden.state = 'hidden'
    hidden.addRow(['internal code', 'x1'])
    const contacts = workbook.addWorksheet('Contacts')
    contacts.addRow(['Name', 'Email'])
    contacts.addRow(['Ada Lovelace', 'ada@example.com'])
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer())

    const document = await parseDocument({ bytes, fileName: 'pipeline.xlsx' })
    expect(document.title).toBe('Pipeline')
    expect(document.pageCount).toBe(2)
    expect(document.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Deals', page: 1 },
      {
        kind: 'table',
        text: [
          'Deal: Acme renewal; Owner: Ada; Close date: 2024-03-31; Probability: 25%',
          'Deal: Globex expansion; Owner: Grace; Close date: 2024-06-01; Probability: 60%',
        ].join('\n'),
        page: 1,
      },
      { kind: 'paragraph', text: 'Figures as of the Monday pipeline review', page: 1 },
      { kind: 'heading', level: 1, text: 'Contacts', page: 2 },
      { kind: 'table', text: 'Name: Ada Lovelace; Email: ada@example.com', page: 2 },
    ])
  })

  it('rejects a damaged XLSX with a 422 naming the format', async () => {
    const damaged = fixture('2023-half-year-analyses-by-segment.xlsx').subarray(0, 5000)
    await expect(parseDocument({ bytes: damaged, fileName: 'figures.xlsx' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/^The file looks like an XLSX but cannot be read: /),
    })
  })
})
