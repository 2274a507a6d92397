import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../core/index.ts'
import { documentMimeTypes } from './detect-format.ts'
import { parseDocument, parserFor, parsers, supportedMimeTypes } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected parsing to fail')
}

describe('parseDocument', () => {
  it('has exactly one parser for every format detection can return', () => {
    expect([...supportedMimeTypes].sort()).toEqual(Object.values(documentMimeTypes).sort())
    for (const mimeType of supportedMimeTypes) expect(parserFor(mimeType)).toBeDefined()
    expect(new Set(parsers.map((parser) => parser.name)).size).toBe(parsers.length)
  })

  it('parses a text file named x.pdf as text instead of failing as a broken PDF', async () => {
    const bytes = new TextEncoder().encode('Meeting notes\n\nThe launch moves to March.\n')
    const document = await parseDocument({ bytes, fileName: 'x.pdf', declaredMimeType: 'application/pdf' })
    expect(document.mimeType).toBe('text/plain')
    expect(document.blocks.map((block) => block.text)).toEqual([
      'Meeting notes',
      'The launch moves to March.',
    ])
  })

  it('fails with clear codes, statuses and messages', async () => {
    const cases: [string, Uint8Array, string, number, RegExp][] = [
      [
        'password.pdf',
        fixture('password.pdf'),
        'unprocessable_document',
        422,
        /^The PDF is encrypted \(password protected\); remove the password and upload again\.$/,
      ],
      ['empty.txt', fixture('empty.txt'), 'unprocessable_document', 422, /^No text found in the document\.$/],
      [
        'fake-text-all-whitespace.txt',
        fixture('fake-text-all-whitespace.txt'),
        'unprocessable_document',
        422,
        /^No text found in the document\.$/,
      ],
      [
        'deck.pptx',
        fixture('fake-power-point.pptx').subarray(0, 20_000),
        'unprocessable_document',
        422,
        /^The file looks like a PPTX but cannot be read: /,
      ],
      [
        'photo.png',
        Buffer.from(
          'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
          'base64',
        ),
        'unsupported_media_type',
        415,
        /^Unsupported file type: this looks like a \.png file \(image\/png\)\. Supported formats: /,
      ],
      [
        'blob.bin',
        new Uint8Array(2048).map((_, index) => (index * 31 + 7) % 256),
        'unsupported_media_type',
        415,
        /binary data/,
      ],
    ]
    for (const [fileName, bytes, code, status, message] of cases) {
      const error = await failureOf(parseDocument({ bytes, fileName }))
      expect({ fileName, code: error.code, status: error.status }).toEqual({ fileName, code, status })
      expect(error.message).toMatch(message)
    }
  })

  it('keeps the library error as the cause, out of the user-facing message', async () => {
    const error = await failureOf(parseDocument({ bytes: fixture('password.pdf') }))
    expect(error.cause).toBeInstanceOf(Error)
    expect(JSON.stringify(error.toJSON())).not.toMatch(/PasswordException|at .*\.js/)
  })

  it('removes control characters (Postgres rejects NUL) and blocks that end up empty', async () => {
    const longParagraph = 'The quarterly review covers revenue, churn and hiring. '.repeat(40).trim()
    const bytes = new TextEncoder().encode(`Line\u0007 one\u0000\n\n\u0001\u0002\n\n${longParagraph}`)
    const document = await parseDocument({ bytes, fileName: 'notes.md' })
    expect(document.blocks).toEqual([
      { kind: 'paragraph', text: 'Line one' },
      { kind: 'paragraph', text: longParagraph },
    ])
  })
})
