import { readFileSync } from 'node:fs'
import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../core/index.ts'
import { detectFormat, documentMimeTypes, looksLikeEmail, looksLikeHtml } from './detect-format.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

async function detectionError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    return error as AppError
  }
  throw new Error('expected detection to fail')
}

/** A 1x1 transparent PNG. */
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
)

describe('detectFormat', () => {
  it.each([
    ['fake-text.txt', documentMimeTypes.text],
    ['fake-text-utf-16-le.txt', documentMimeTypes.text],
    ['empty.txt', documentMimeTypes.text],
    ['codeblock.md', documentMimeTypes.markdown],
    ['fake-html.html', documentMimeTypes.html],
    ['fake-html-cp1252.html', documentMimeTypes.html],
    ['example-with-scripts.html', documentMimeTypes.html],
    ['example-10k-1p.html', documentMimeTypes.html],
    ['fake-email.eml', documentMimeTypes.email],
    ['csv-with-escaped-commas.csv', documentMimeTypes.csv],
    ['fake-memo.pdf', documentMimeTypes.pdf],
    ['password.pdf', documentMimeTypes.pdf],
    ['docx-tables.docx', documentMimeTypes.docx],
    ['fake-power-point.pptx', documentMimeTypes.pptx],
    ['fake-power-point-malformed.pptx', documentMimeTypes.pptx],
    ['2023-half-year-analyses-by-segment.xlsx', documentMimeTypes.xlsx],
  ])('recognises %s', async (name, mimeType) => {
    expect(await detectFormat({ bytes: fixture(name), fileName: name })).toBe(mimeType)
  })

  it('decides by content, not by the name: text named x.pdf is text, a PDF named notes.txt is a PDF', async () => {
    const text = new TextEncoder().encode('Quarterly notes: revenue grew 12%.\n')
    expect(await detectFormat({ bytes: text, fileName: 'x.pdf', declaredMimeType: 'application/pdf' })).toBe(
      documentMimeTypes.text,
    )
    expect(await detectFormat({ bytes: fixture('fake-memo.pdf'), fileName: 'notes.txt' })).toBe(
      documentMimeTypes.pdf,
    )
    expect(await detectFormat({ bytes: fixture('fake-power-point.pptx'), fileName: 'slides.docx' })).toBe(
      documentMimeTypes.pptx,
    )
  })

  it('recognises HTML and email by content whatever the name, and not HTML quoted inside Markdown', async () => {
    expect(await detectFormat({ bytes: fixture('fake-html.html') })).toBe(documentMimeTypes.html)
    expect(await detectFormat({ bytes: fixture('fake-email.eml'), fileName: 'message.txt' })).toBe(
      documentMimeTypes.email,
    )
    expect(await detectFormat({ bytes: fixture('codeblock.md') })).toBe(documentMimeTypes.text)
  })

  it('uses the name or declared type only to choose between plain text, Markdown and CSV', async () => {
    const bytes = new TextEncoder().encode('name,city\nAda,London\n')
    expect(await detectFormat({ bytes, fileName: 'people.csv' })).toBe(documentMimeTypes.csv)
    expect(await detectFormat({ bytes, declaredMimeType: 'text/csv; charset=utf-8' })).toBe(
      documentMimeTypes.csv,
    )
    expect(await detectFormat({ bytes, fileName: 'people.txt' })).toBe(documentMimeTypes.text)
    expect(await detectFormat({ bytes, declaredMimeType: 'text/markdown' })).toBe(documentMimeTypes.markdown)
    const readme = new TextEncoder().encode('<p align="center"><img src="logo.png"></p>\n\n# Nereid\n')
    expect(await detectFormat({ bytes: readme, fileName: 'README.md' })).toBe(documentMimeTypes.markdown)
    expect(await detectFormat({ bytes: readme, fileName: 'snippet.txt' })).toBe(documentMimeTypes.html)
  })

  it('rejects images, executables and unknown binary data with a 415 naming what was found', async () => {
    const image = await detectionError(detectFormat({ bytes: png, fileName: 'report.pdf' }))
    expect(image.status).toBe(415)
    expect(image.code).toBe('unsupported_media_type')
    expect(image.message).toMatch(/\.png file \(image\/png\)/)

    const executable = await detectionError(detectFormat({ bytes: fixtureLikeElf(), fileName: 'tool' }))
    expect(executable.status).toBe(415)
    expect(executable.message).toMatch(/executable/)

    const random = new Uint8Array(4096).map((_, index) => (index * 7919 + 13) % 256)
    const binary = await detectionError(detectFormat({ bytes: random, fileName: 'data.txt' }))
    expect(binary.status).toBe(415)
    expect(binary.message).toMatch(/binary data/)
  })

  it('rejects a ZIP without an Office document and legacy Office files with a 415', async () => {
    const zip = new JSZip()
    zip.file('notes/readme.txt', 'hello')
    const archive = await zip.generateAsync({ type: 'uint8array' })
    const zipError = await detectionError(detectFormat({ bytes: archive, fileName: 'bundle.zip' }))
    expect(zipError.status).toBe(415)
    expect(zipError.message).toMatch(/ZIP archive/)

    const compoundFile = new Uint8Array(4096)
    compoundFile.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])
    const legacy = await detectionError(detectFormat({ bytes: compoundFile, fileName: 'old.doc' }))
    expect(legacy.status).toBe(415)
    expect(legacy.message).toMatch(/legacy Word document \(\.doc\)/)

    // Office stores a password-protected .docx/.xlsx/.pptx in a compound file with this stream.
    compoundFile.set(Buffer.from('EncryptionInfo', 'utf16le'), 1024)
    const encrypted = await detectionError(detectFormat({ bytes: compoundFile, fileName: 'secret.docx' }))
    expect(encrypted.status).toBe(422)
    expect(encrypted.message).toBe(
      'The Office document is encrypted (password protected); remove the password and upload again.',
    )
  })

  it('reports a damaged Office file as its Office type so the parser can explain it', async () => {
    const truncated = fixture('fake-power-point.pptx').subarray(0, 20_000)
    expect(await detectFormat({ bytes: truncated, fileName: 'deck.pptx' })).toBe(documentMimeTypes.pptx)
  })
})

/** The start of an ELF executable header. */
function fixtureLikeElf(): Uint8Array {
  const bytes = new Uint8Array(256)
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00])
  return bytes
}

describe('content sniffing', () => {
  it('sees HTML after an XML declaration and comments, not in text that merely mentions tags', () => {
    expect(looksLikeHtml('<?xml version="1.0"?>\n<!-- generated -->\n<html><body>x</body></html>')).toBe(true)
    expect(looksLikeHtml('<div><p>fragment</p></div>')).toBe(true)
    expect(looksLikeHtml('Use <b> for bold.')).toBe(false)
    expect(looksLikeHtml('<note><to>Tove</to></note>')).toBe(false)
  })

  it('sees an email only in a block of RFC 822 headers at the top', () => {
    expect(
      looksLikeEmail('From: a@example.com\nTo: b@example.com\nSubject: Hi\n\nBody', { hinted: false }),
    ).toBe(true)
    expect(looksLikeEmail('Subject: notes for Monday\n\nWe met and decided...', { hinted: false })).toBe(
      false,
    )
    expect(looksLikeEmail('Subject: notes\n\nBody', { hinted: true })).toBe(true)
    expect(looksLikeEmail('Dear team,\nFrom: tomorrow on...', { hinted: false })).toBe(false)
  })
})
