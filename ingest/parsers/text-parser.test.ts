import { readFileSync } from 'node:fs'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import type { ParsedBlock } from '../parsed-document.ts'
import { markdownToBlocks } from './markdown-blocks.ts'
import { parseDocument } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

const fakeTextBlocks: ParsedBlock[] = [
  { kind: 'paragraph', text: 'This is a test document to use for unit tests.' },
  { kind: 'paragraph', text: 'Doylestown, PA 18901' },
  { kind: 'paragraph', text: 'Important points:' },
  { kind: 'list', text: '- Hamburgers are delicious\n- Dogs are the best\n- I love fuzzy blankets' },
]

describe('plain text', () => {
  it('splits paragraphs on blank lines and recognises a bullet list', async () => {
    const document = await parseDocument({ bytes: fixture('fake-text.txt'), fileName: 'fake-text.txt' })
    expect(document.mimeType).toBe('text/plain')
    expect(document.blocks).toEqual(fakeTextBlocks)
  })

  it('decodes UTF-16 LE without a BOM (the fixture has none)', async () => {
    const document = await parseDocument({ bytes: fixture('fake-text-utf-16-le.txt') })
    expect(document.blocks).toEqual(fakeTextBlocks)
  })

  it('decodes UTF-16 BE with a BOM and UTF-8 with a BOM', async () => {
    const text = 'Über die Brücke: café, naïve, 15 €.\n\nZweiter Absatz.'
    const utf16be = new Uint8Array(iconv.encode(text, 'utf-16be', { addBOM: true }))
    expect(utf16be[0]).toBe(0xfe)
    const fromUtf16 = await parseDocument({ bytes: utf16be, fileName: 'notes.txt' })
    expect(fromUtf16.blocks.map((block) => block.text)).toEqual([
      'Über die Brücke: café, naïve, 15 €.',
      'Zweiter Absatz.',
    ])
    const utf8 = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)])
    const fromUtf8 = await parseDocument({ bytes: utf8, fileName: 'notes.txt' })
    expect(fromUtf8.blocks[0]!.text).toBe('Über die Brücke: café, naïve, 15 €.')
  })

  it('decodes Windows-1252 text (curly quotes, euro sign, accents)', async () => {
    const text = '“Crème brûlée” costs 15 € at the café — très bon.\n'
    const bytes = new Uint8Array(iconv.encode(text, 'windows-1252'))
    const document = await parseDocument({ bytes, fileName: 'menu.txt' })
    expect(document.blocks[0]!.text).toBe('“Crème brûlée” costs 15 € at the café — très bon.')
  })

  it('rejects empty and whitespace-only files with 422 "No text found"', async () => {
    for (const name of ['empty.txt', 'fake-text-all-whitespace.txt']) {
      await expect(parseDocument({ bytes: fixture(name), fileName: name })).rejects.toMatchObject({
        status: 422,
        code: 'unprocessable_document',
        message: 'No text found in the document.',
      })
    }
  })
})

describe('Markdown', () => {
  it('keeps headings and fenced code blocks (HTML inside a fence stays code)', async () => {
    const document = await parseDocument({ bytes: fixture('codeblock.md'), fileName: 'codeblock.md' })
    expect(document.mimeType).toBe('text/markdown')
    expect(document.blocks.map((block) => [block.kind, block.level])).toEqual([
      ['heading', 2],
      ['code', undefined],
      ['heading', 2],
      ['code', undefined],
      ['code', undefined],
    ])
    expect(document.blocks[0]!.text).toBe('HTML Example')
    expect(document.blocks[1]!.text).toContain('<h1>Hello, World!</h1>')
    expect(document.blocks[3]!.text).toContain("<body>Don't forget me this weekend!</body>")
  })

  it('reads front matter, setext headings, nested lists, tables, quotes and inline markup', () => {
    const { title, blocks } = markdownToBlocks(
      [
        '---',
        'title: "Onboarding guide"',
        'tags: [hr]',
        '---',
        'Welcome',
        '=======',
        '',
        'Read the **handbook** and the [security policy](https://example.com/policy) on day `one`.',
        '',
        '- Laptop',
        '  - Charger',
        '- Badge',
        '',
        '1. Sign the contract',
        '2. Meet the team',
        '',
        '| Name | Role |',
        '| --- | :---: |',
        '| Ada | Engineer |',
        '| Grace | Admiral |',
        '',
        '> Ask questions early.',
        '',
        '### Tools ###',
        '',
        '    npm install',
      ].join('\n'),
    )
    expect(title).toBe('Onboarding guide')
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Welcome' },
      { kind: 'paragraph', text: 'Read the handbook and the security policy on day one.' },
      { kind: 'list', text: '- Laptop\n  - Charger\n- Badge' },
      { kind: 'list', text: '1. Sign the contract\n2. Meet the team' },
      { kind: 'table', text: 'Name: Ada; Role: Engineer\nName: Grace; Role: Admiral' },
      { kind: 'paragraph', text: 'Ask questions early.' },
      { kind: 'heading', level: 3, text: 'Tools' },
      { kind: 'code', text: 'npm install' },
    ])
  })

  it('takes the first level-1 heading as the title when there is no front matter', () => {
    expect(markdownToBlocks('Intro text\n\n# Release notes\n\n## 2.0').title).toBe('Release notes')
  })
})
