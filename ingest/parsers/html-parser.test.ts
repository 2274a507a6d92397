import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { htmlToBlocks } from './html-to-blocks.ts'
import { parseDocument } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

function allText(blocks: { text: string }[]): string {
  return blocks.map((block) => block.text).join('\n')
}

describe('HTML', () => {
  it('keeps headings with their levels, nested lists and a table with its header row', async () => {
    const document = await parseDocument({ bytes: fixture('fake-html.html'), fileName: 'fake-html.html' })
    expect(document.mimeType).toBe('text/html')
    expect(document.title).toBe('My First Heading')
    expect(document.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'My First Heading' },
      { kind: 'heading', level: 2, text: 'My Second Heading' },
      {
        kind: 'paragraph',
        text: "My first paragraph. lorem ipsum dolor set amet. if the cow comes home under the sun how do you fault the cow for it's worn hooves?",
      },
      { kind: 'list', text: '- A test list\n  - With sub-bullets!\n  - And another\n- Back at the root' },
      { kind: 'heading', level: 3, text: 'A Third Heading' },
      {
        kind: 'table',
        text: 'Column 1: Row 1, Cell 1; Column 2: Row 1, Cell 2\nColumn 1: Row 2, Cell 1; Column 2: Row 2, Cell 2',
      },
    ])
  })

  it('decodes a Windows-1252 page that declares no charset', async () => {
    const document = await parseDocument({ bytes: fixture('fake-html-cp1252.html') })
    const text = allText(document.blocks)
    expect(text).toContain('Die schöne Frau hat einen Kaffee mit Kuchen gegessen.')
    expect(text).toContain('Der Preis betrug 15,50 €.')
    expect(text).toContain("L'été était très chaud cette année.")
    expect(text).toContain('El niño comió paella con ñoquis.')
    expect(text).toContain('Kvinnan åt köttbullar med lingonsylt.')
    expect(text).not.toContain('\uFFFD')
  })

  it('drops scripts, styles, the site header, search form and footer of a real page', async () => {
    const document = await parseDocument({ bytes: fixture('example-with-scripts.html') })
    expect(document.title).toBe(
      'Russian Offensive Campaign Assessment, December 13 | Institute for the Study of War',
    )
    expect(document.blocks).toContainEqual({
      kind: 'heading',
      level: 1,
      text: 'Russian Offensive Campaign Assessment, December 13',
    })
    const text = allText(document.blocks)
    expect(text).toContain(
      'Belarusian forces remain unlikely to attack Ukraine despite a snap Belarusian military',
    )
    for (const junk of [
      'switchTo5x',
      'stLight',
      'facebook-jssdk',
      '@import',
      'Search form',
      '1400 16th Street NW',
    ]) {
      expect(text).not.toContain(junk)
    }
  })

  it('reads an SEC filing that starts with an XML declaration', async () => {
    const document = await parseDocument({ bytes: fixture('example-10k-1p.html') })
    expect(document.mimeType).toBe('text/html')
    const text = allText(document.blocks)
    expect(text).toContain('Galaxy Gaming, Inc.')
    expect(text).toContain('Common stock | GLXZ | OTCQB marketplace')
  })

  it('spreads row and column spans, reads layout tables as text and skips hidden elements', () => {
    const { blocks } = htmlToBlocks({
      html: `<main>
        <article><header><h1>Price list</h1></header>
        <table>
          <thead><tr><th rowspan="2">Product</th><th colspan="2">Price</th></tr>
                 <tr><th>EUR</th><th>USD</th></tr></thead>
          <tbody><tr><td>Widget</td><td>10</td><td>11</td></tr>
                 <tr><td rowspan="2">Gadget</td><td>20</td><td>22</td></tr>
                 <tr><td>18</td><td>19</td></tr></tbody>
        </table>
        <table role="presentation"><tr><td><p>Layout cell text.</p></td><td><h2>Side heading</h2></td></tr></table>
        <p hidden>Secret draft</p><p style="display: none">Also hidden</p>
        <p>Line one<br>line two</p>
        <pre><code>const x = 1
  return x</code></pre>
        </article>
      </main>`,
    })
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Price list' },
      {
        kind: 'table',
        text: [
          'Product: Widget; Price / EUR: 10; Price / USD: 11',
          'Product: Gadget; Price / EUR: 20; Price / USD: 22',
          'Product: Gadget; Price / EUR: 18; Price / USD: 19',
        ].join('\n'),
      },
      { kind: 'paragraph', text: 'Layout cell text.' },
      { kind: 'heading', level: 2, text: 'Side heading' },
      { kind: 'paragraph', text: 'Line one\nline two' },
      { kind: 'code', text: 'const x = 1\n  return x' },
    ])
  })
})
