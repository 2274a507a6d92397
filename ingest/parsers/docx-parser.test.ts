import { readFileSync } from 'node:fs'
import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { parseDocument } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

/** fake.docx (real Word styles: Title, Heading 1-9, ListBullet...) with the body replaced. */
async function docxWithBody(bodyXml: string): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(fixture('fake.docx'))
  const documentXml = await zip.file('word/document.xml')!.async('string')
  zip.file(
    'word/document.xml',
    documentXml.replace(/<w:body>[\s\S]*?<w:sectPr/, `<w:body>${bodyXml}<w:sectPr`),
  )
  return zip.generateAsync({ type: 'uint8array' })
}

function paragraph(text: string, style?: string): string {
  const properties = style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''
  return `<w:p>${properties}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`
}

describe('DOCX', () => {
  it('turns Title and Heading styles into headings with levels, and the Title into the title', async () => {
    const bytes = await docxWithBody(
      [
        paragraph('Travel policy', 'Title'),
        paragraph('Booking', 'Heading1'),
        paragraph('Book flights at least 14 days ahead through the travel portal.'),
        paragraph('Exceptions', 'Heading2'),
        paragraph('Urgent customer visits may be booked later with manager approval.'),
      ].join(''),
    )
    const document = await parseDocument({ bytes, fileName: 'policy.docx' })
    expect(document.mimeType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document')
    expect(document.title).toBe('Travel policy')
    expect(document.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Travel policy' },
      { kind: 'heading', level: 1, text: 'Booking' },
      { kind: 'paragraph', text: 'Book flights at least 14 days ahead through the travel portal.' },
      { kind: 'heading', level: 2, text: 'Exceptions' },
      { kind: 'paragraph', text: 'Urgent customer visits may be booked later with manager approval.' },
    ])
  })

  it('writes simple, nested and merged tables as readable rows', async () => {
    const document = await parseDocument({ bytes: fixture('docx-tables.docx'), fileName: 'docx-tables.docx' })
    expect(document.blocks).toEqual([
      { kind: 'paragraph', text: 'Simple uniform table' },
      { kind: 'table', text: 'Header Col 1 | Header Col 2\nLorem ipsum | A link example' },
      { kind: 'paragraph', text: 'Nested Table' },
      { kind: 'table', text: 'a | >b< | c\nd | e f g&t h | i\nj | k | l' },
      { kind: 'paragraph', text: 'Table with merged cells' },
      { kind: 'table', text: 'a | b\na | c | d\ne | d' },
    ])
  })

  it('reads the text of a real handbook page', async () => {
    const document = await parseDocument({ bytes: fixture('handbook-1p.docx') })
    const text = document.blocks.map((block) => block.text).join('\n')
    expect(text).toContain(
      'The United States Trustee appoints and supervises standing trustees and monitors and supervises cases under chapter 13 of title 11 of the United States Code.',
    )
    expect(text).toContain('B. ROLE OF THE UNITED STATES TRUSTEE')
  })

  it('rejects a damaged DOCX with a 422 naming the format', async () => {
    const damaged = fixture('docx-tables.docx').subarray(0, 5000)
    await expect(parseDocument({ bytes: damaged, fileName: 'report.docx' })).rejects.toMatchObject({
      status: 422,
      code: 'unprocessable_document',
      message: expect.stringMatching(/^The file looks like a DOCX but cannot be read: /),
    })
  })
})
