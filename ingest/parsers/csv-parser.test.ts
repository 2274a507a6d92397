import { readFileSync } from 'node:fs'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { sniffDelimiter } from './csv-parser.ts'
import { parseDocument } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

describe('CSV', () => {
  it('writes each row as "Header: value" pairs and leaves empty cells out', async () => {
    const document = await parseDocument({
      bytes: bytesOf(
        'Name,Company,Email,Notes\nAda Lovelace,Analytical Engines,ada@example.com,\n"Hopper, Grace",US Navy,,"Said ""ship it"""\n',
      ),
      fileName: 'contacts.csv',
    })
    expect(document.mimeType).toBe('text/csv')
    expect(document.blocks).toEqual([
      {
        kind: 'table',
        text: [
          'Name: Ada Lovelace; Company: Analytical Engines; Email: ada@example.com',
          'Name: Hopper, Grace; Company: US Navy; Notes: Said "ship it"',
        ].join('\n'),
      },
    ])
  })

  it('keeps a quoted field with commas in it as one value', async () => {
    const document = await parseDocument({
      bytes: fixture('csv-with-escaped-commas.csv'),
      fileName: 'data.csv',
    })
    const rows = document.blocks[0]!.text.split('\n')
    expect(rows).toHaveLength(2)
    expect(rows[0]!.split('; ')).toEqual(['A', 'A', 'A', 'A: A,A', 'A'])
  })

  it('sniffs semicolons and tabs, and decodes Windows-1252 exports', async () => {
    expect(sniffDelimiter('a;b;c\n1;2,5;3\n')).toBe(';')
    expect(sniffDelimiter('a\tb\n1\t2\n')).toBe('\t')
    expect(sniffDelimiter('"x;y",b\n1,2\n')).toBe(',')
    const bytes = new Uint8Array(iconv.encode('Produkt;Preis\nKäse;4,50 €\n', 'windows-1252'))
    const document = await parseDocument({ bytes, fileName: 'preise.csv' })
    expect(document.blocks[0]!.text).toBe('Produkt: Käse; Preis: 4,50 €')
  })

  it('joins cells with " | " when the first row is data, not a header', async () => {
    const document = await parseDocument({
      bytes: bytesOf('2024-01-01,120,EMEA\n2024-01-02,95,APAC\n'),
      fileName: 'x.csv',
    })
    expect(document.blocks[0]!.text).toBe('2024-01-01 | 120 | EMEA\n2024-01-02 | 95 | APAC')
  })
})
