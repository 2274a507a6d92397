import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseDocument } from './parse-document.ts'
import { pdfParser } from './pdf-parser.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

describe('PDF', () => {
  it('extracts a one-page memo paragraph by paragraph, with page numbers', async () => {
    const document = await parseDocument({ bytes: fixture('fake-memo.pdf'), fileName: 'fake-memo.pdf' })
    expect(document.mimeType).toBe('application/pdf')
    expect(document.pageCount).toBe(1)
    expect(document.blocks).toEqual([
      { kind: 'paragraph', text: 'May 5, 2023', page: 1 },
      { kind: 'paragraph', text: 'To Whom it May Concern:', page: 1 },
      {
        kind: 'paragraph',
        text: 'There were 20,000 bottles of water, 10,000 blankets, and 200 laptops delivered on January 23, 2023. A total of 3 trucks were used for 15 hours.',
        page: 1,
      },
      { kind: 'paragraph', text: 'Best Regards,', page: 1 },
      { kind: 'paragraph', text: 'Mallori', page: 1 },
    ])
  })

  it('puts every block of a two-column paper on its page and finds the title heading', async () => {
    const document = await parseDocument({ bytes: fixture('multi-column-2p.pdf') })
    expect(document.pageCount).toBe(2)
    expect(document.blocks.every((block) => block.page === 1 || block.page === 2)).toBe(true)
    expect(document.title).toBe('Dense Passage Retrieval for Open-Domain Question Answering')
    expect(document.blocks[0]).toEqual({
      kind: 'heading',
      level: 1,
      text: 'Dense Passage Retrieval for Open-Domain Question Answering',
      page: 1,
    })

    const pageOf = (phrase: string) => document.blocks.find((block) => block.text.includes(phrase))?.page
    expect(pageOf('ICT pretraining is computationally intensive')).toBe(2)
    expect(pageOf('Who first voiced Meg on Family Guy?')).toBe(2)
    // "ef-" / "ficient" across a line break is joined back into one word.
    expect(pageOf('Open-domain question answering relies on efficient passage retrieval')).toBe(1)
    expect(document.blocks).toContainEqual({ kind: 'heading', level: 2, text: '2 Background', page: 2 })
    // The rotated arXiv stamp in the margin is kept, but as text, not as a heading or the title.
    expect(document.blocks).toContainEqual({
      kind: 'paragraph',
      text: 'arXiv:2004.04906v3 [cs.CL] 30 Sep 2020',
      page: 1,
    })
  })

  it('rejects an encrypted PDF with a 422 that says how to fix it', async () => {
    await expect(
      parseDocument({ bytes: fixture('password.pdf'), fileName: 'password.pdf' }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'unprocessable_document',
      message: 'The PDF is encrypted (password protected); remove the password and upload again.',
    })
  })

  it('rejects a scanned PDF without a text layer as "No text found"', async () => {
    const failure = parseDocument({ bytes: fixture('loremipsum-flat.pdf') })
    await expect(failure).rejects.toMatchObject({ status: 422, code: 'unprocessable_document' })
    await expect(failure).rejects.toThrow(/^No text found in the document\. The PDF has no text layer/)
  })

  it('rejects a damaged PDF with a clear 422, not the library error alone', async () => {
    const damaged = fixture('fake-memo.pdf').subarray(0, 600)
    const failure = parseDocument({ bytes: damaged, fileName: 'memo.pdf' })
    await expect(failure).rejects.toMatchObject({ status: 422 })
    await expect(failure).rejects.toThrow(/^The file looks like a PDF but cannot be read: \S/)
  })

  it('leaves the caller bytes usable (pdf.js gets a copy)', async () => {
    const bytes = fixture('fake-memo.pdf')
    const length = bytes.byteLength
    await pdfParser.parse({ bytes, mimeType: 'application/pdf' })
    expect(bytes.byteLength).toBe(length)
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe('%PDF-')
  })
})
