import { readFileSync } from 'node:fs'
import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { parseDocument } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

/**
 * fake-power-point.pptx with a second slide file (slide2.xml) listed FIRST in
 * ppt/presentation.xml, so slide order must come from the presentation, not from file names.
 */
async function presentationWithSlideBeforeFirst(): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(fixture('fake-power-point.pptx'))
  const slide = await zip.file('ppt/slides/slide1.xml')!.async('string')
  zip.file(
    'ppt/slides/slide2.xml',
    slide
      .replace('Adding a Bullet Slide', 'Agenda')
      .replace('Find the bullet slide layout', 'Quarterly results')
      .replace(/<p:sp><p:nvSpPr><p:cNvPr id="86"[\s\S]*?<\/p:sp>/, ''),
  )
  const relationships = await zip.file('ppt/_rels/presentation.xml.rels')!.async('string')
  zip.file(
    'ppt/_rels/presentation.xml.rels',
    relationships.replace(
      '</Relationships>',
      '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide2.xml"/></Relationships>',
    ),
  )
  const presentation = await zip.file('ppt/presentation.xml')!.async('string')
  zip.file(
    'ppt/presentation.xml',
    presentation.replace('<p:sldIdLst>', '<p:sldIdLst><p:sldId id="300" r:id="rId99"/>'),
  )
  return zip.generateAsync({ type: 'uint8array' })
}

describe('PPTX', () => {
  it('reads the slide title as a heading, nested bullets as a list and text boxes, on page 1', async () => {
    const document = await parseDocument({ bytes: fixture('fake-power-point.pptx'), fileName: 'deck.pptx' })
    expect(document.mimeType).toBe(
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    )
    expect(document.pageCount).toBe(1)
    expect(document.title).toBe('Adding a Bullet Slide')
    expect(document.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Adding a Bullet Slide', page: 1 },
      {
        kind: 'list',
        text: '- Find the bullet slide layout\n  - Use _TextFrame.text for first bullet\n    - Use _TextFrame.add_paragraph() for subsequent bullets',
        page: 1,
      },
      { kind: 'paragraph', text: 'Here is a lot of text!', page: 1 },
      { kind: 'paragraph', text: 'Here is some text in a text box!', page: 1 },
    ])
  })

  it('numbers pages in presentation order, not by slide file name', async () => {
    const document = await parseDocument({ bytes: await presentationWithSlideBeforeFirst() })
    expect(document.pageCount).toBe(2)
    const headings = document.blocks.filter((block) => block.kind === 'heading')
    expect(headings).toEqual([
      { kind: 'heading', level: 1, text: 'Agenda', page: 1 },
      { kind: 'heading', level: 1, text: 'Adding a Bullet Slide', page: 2 },
    ])
    expect(document.blocks.find((block) => block.text.includes('Quarterly results'))?.page).toBe(1)
    expect(document.blocks.find((block) => block.text.includes('text box'))?.page).toBe(2)
  })

  it('still reads the slides of the "malformed" fixture, whose layouts, theme and masters are missing', async () => {
    // The slide XML itself is intact; the upstream corpus expects exactly this text.
    const document = await parseDocument({ bytes: fixture('fake-power-point-malformed.pptx') })
    expect(document.pageCount).toBe(1)
    expect(document.title).toBe('Test Slide')
    expect(document.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Test Slide', page: 1 },
      { kind: 'paragraph', text: 'Problem Date Placeholder', page: 1 },
    ])
  })

  it('rejects a truncated PPTX and one whose slide is not valid XML with a 422', async () => {
    const truncated = fixture('fake-power-point.pptx').subarray(0, 20_000)
    await expect(parseDocument({ bytes: truncated, fileName: 'deck.pptx' })).rejects.toMatchObject({
      status: 422,
      code: 'unprocessable_document',
      message: expect.stringMatching(/^The file looks like a PPTX but cannot be read: /),
    })

    const zip = await JSZip.loadAsync(fixture('fake-power-point.pptx'))
    const slide = await zip.file('ppt/slides/slide1.xml')!.async('string')
    zip.file('ppt/slides/slide1.xml', slide.slice(0, slide.length / 2))
    const brokenSlide = await zip.generateAsync({ type: 'uint8array' })
    await expect(parseDocument({ bytes: brokenSlide, fileName: 'deck.pptx' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/^The file looks like a PPTX but cannot be read: slide 1 is damaged/),
    })
  })
})
