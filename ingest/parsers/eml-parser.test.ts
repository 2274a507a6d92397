import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseDocument } from './parse-document.ts'

const fixtureDirectory = new URL('../../test/fixtures/documents/', import.meta.url)

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, fixtureDirectory)))
}

describe('EML', () => {
  it('reads subject, sender, recipient, date and the text body', async () => {
    const document = await parseDocument({ bytes: fixture('fake-email.eml'), fileName: 'fake-email.eml' })
    expect(document.mimeType).toBe('message/rfc822')
    expect(document.title).toBe('Test Email')
    expect(document.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Test Email' },
      {
        kind: 'paragraph',
        text: [
          'From: Matthew Robinson <mrobinson@unstructured.io>',
          'To: NotMatthew <NotMatthew@notunstructured.com>',
          'Date: Fri, 16 Dec 2022 17:04:16 -0500',
        ].join('\n'),
      },
      { kind: 'paragraph', text: 'This is a test email to use for unit tests.' },
      { kind: 'paragraph', text: 'Important points:' },
      { kind: 'list', text: '- Roses are red\n- Violets are blue' },
    ])
  })

  it('converts an HTML-only body, lists attachments and decodes encoded headers', async () => {
    const raw = [
      'From: =?UTF-8?Q?Ren=C3=A9e_Dupont?= <renee@example.com>',
      'To: sales@example.com',
      'Cc: Ops Team <ops@example.com>',
      'Subject: =?UTF-8?Q?R=C3=A9sum=C3=A9_of_the_Q3_call?=',
      'Date: Tue, 3 Oct 2023 09:30:00 +0200',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/html; charset=UTF-8',
      '',
      '<html><head><style>p{color:red}</style></head><body><h2>Next steps</h2><ul><li>Send the quote</li><li>Book a demo</li></ul><script>track()</script></body></html>',
      '--b1',
      'Content-Type: application/pdf; name="quote.pdf"',
      'Content-Disposition: attachment; filename="quote.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQK',
      '--b1--',
      '',
    ].join('\r\n')
    const document = await parseDocument({ bytes: new TextEncoder().encode(raw), fileName: 'call.eml' })
    expect(document.title).toBe('Résumé of the Q3 call')
    expect(document.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Résumé of the Q3 call' },
      {
        kind: 'paragraph',
        text: [
          'From: Renée Dupont <renee@example.com>',
          'To: sales@example.com',
          'Cc: Ops Team <ops@example.com>',
          'Date: Tue, 3 Oct 2023 09:30:00 +0200',
          'Attachments: quote.pdf',
        ].join('\n'),
      },
      { kind: 'heading', level: 2, text: 'Next steps' },
      { kind: 'list', text: '- Send the quote\n- Book a demo' },
    ])
  })
})
