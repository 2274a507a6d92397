import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { AppError } from '../../core/index.ts'
import { mapUnstructuredElements, tableHtmlToText } from './unstructured-elements.ts'
import { createUnstructuredParser, unstructuredMimeTypes } from './unstructured-parser.ts'

/** What the stand-in saw of one partition request. */
interface PartitionCall {
  method: string
  path: string
  apiKey: string | undefined
  accept: string | undefined
  fileName: string | undefined
  fileType: string | undefined
  fileText: string | undefined
  fields: Record<string, string>
}

type Answer = { status: number; body: unknown } | 'hang'

let server: http.Server
let baseUrl: string
let calls: PartitionCall[] = []
let answers: Answer[] = []

const pdfMimeType = 'application/pdf'
const docxMimeType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

/** Elements shaped like the real API's JSON output (element_id, type, text, metadata). */
const twoPageElements = [
  {
    type: 'Header',
    element_id: 'h1',
    text: 'ACME Corp - Confidential',
    metadata: { page_number: 1, filename: 'report.pdf' },
  },
  {
    type: 'Title',
    element_id: 't1',
    text: 'Annual Report 2025',
    metadata: { page_number: 1, category_depth: 0 },
  },
  {
    type: 'NarrativeText',
    element_id: 'n1',
    text: 'Revenue grew by 12 percent.',
    metadata: { page_number: 1 },
  },
  { type: 'Title', element_id: 't2', text: 'Highlights', metadata: { page_number: 1, category_depth: 1 } },
  { type: 'ListItem', element_id: 'l1', text: 'A new office in Lisbon', metadata: { page_number: 1 } },
  { type: 'ListItem', element_id: 'l2', text: 'Two product launches', metadata: { page_number: 1 } },
  { type: 'Footer', element_id: 'f1', text: 'Page 1 of 2', metadata: { page_number: 1 } },
  { type: 'PageBreak', element_id: 'p1', text: '', metadata: { page_number: 1 } },
  { type: 'Header', element_id: 'h2', text: 'ACME Corp - Confidential', metadata: { page_number: 2 } },
  { type: 'Title', element_id: 't3', text: 'Figures', metadata: { page_number: 2 } },
  {
    type: 'Table',
    element_id: 'tb1',
    text: 'Quarter Revenue Q1 10 Q2 12',
    metadata: {
      page_number: 2,
      text_as_html:
        '<table><thead><tr><th>Quarter</th><th>Revenue</th></tr></thead><tbody><tr><td>Q1</td><td>10 &amp; rising</td></tr><tr><td>Q2</td><td>12</td></tr></tbody></table>',
    },
  },
  { type: 'Image', element_id: 'i1', text: 'chart', metadata: { page_number: 2 } },
  {
    type: 'CodeSnippet',
    element_id: 'c1',
    text: 'SELECT sum(revenue) FROM quarters;\n',
    metadata: { page_number: 2 },
  },
  { type: 'UncategorizedText', element_id: 'u1', text: '   ', metadata: { page_number: 2 } },
  { type: 'Footer', element_id: 'f2', text: 'Page 2 of 2', metadata: { page_number: 2 } },
]

beforeAll(async () => {
  server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const call: PartitionCall = {
      method: request.method ?? '',
      path: request.url ?? '',
      apiKey: request.headers['unstructured-api-key'] as string | undefined,
      accept: request.headers.accept,
      fileName: undefined,
      fileType: undefined,
      fileText: undefined,
      fields: {},
    }
    const contentType = request.headers['content-type'] ?? ''
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': contentType } }).formData()
      for (const [key, value] of form) {
        if (typeof value === 'string') call.fields[key] = value
        else if (key === 'files') {
          call.fileName = value.name
          call.fileType = value.type
          call.fileText = await value.text()
        }
      }
    }
    calls.push(call)
    const answer = answers.shift() ?? { status: 200, body: twoPageElements }
    if (answer === 'hang') return
    if (!call.path.endsWith('/general/v0/general') || call.method !== 'POST') {
      response.writeHead(404, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ detail: 'Not Found' }))
      return
    }
    response.writeHead(answer.status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

beforeEach(() => {
  calls = []
  answers = []
  // The SDK's own hooks log failures with console.error/warn; keep test output readable.
  vi.spyOn(console, 'error').mockImplementation(() => {})
  vi.spyOn(console, 'warn').mockImplementation(() => {})
})

afterEach(() => {
  vi.restoreAllMocks()
})

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

const pdfInput = {
  bytes: new TextEncoder().encode('%PDF-1.7 pretend'),
  fileName: 'report.pdf',
  mimeType: pdfMimeType,
}

describe('createUnstructuredParser against a stand-in Unstructured API', () => {
  it('sends the file as multipart `files` to /general/v0/general and maps the elements', async () => {
    const parser = createUnstructuredParser({ apiUrl: baseUrl, apiKey: 'test-key-123', retryBudgetMs: 0 })
    const document = await parser.parse(pdfInput)

    expect(calls).toHaveLength(1)
    const call = calls[0]!
    expect(call.method).toBe('POST')
    expect(call.path).toBe('/general/v0/general')
    expect(call.apiKey).toBe('test-key-123')
    expect(call.accept).toContain('application/json')
    expect(call.fileName).toBe('report.pdf')
    expect(call.fileType).toBe(pdfMimeType)
    expect(call.fileText).toBe('%PDF-1.7 pretend')
    expect(call.fields).toMatchObject({
      strategy: 'auto',
      split_pdf_page: 'false',
      content_type: pdfMimeType,
      output_format: 'application/json',
    })

    expect(document.mimeType).toBe(pdfMimeType)
    expect(document.title).toBe('Annual Report 2025')
    expect(document.pageCount).toBe(2)
    expect(document.blocks).toEqual([
      { kind: 'heading', text: 'Annual Report 2025', level: 1, page: 1 },
      { kind: 'paragraph', text: 'Revenue grew by 12 percent.', page: 1 },
      { kind: 'heading', text: 'Highlights', level: 2, page: 1 },
      { kind: 'list', text: 'A new office in Lisbon', page: 1 },
      { kind: 'list', text: 'Two product launches', page: 1 },
      { kind: 'heading', text: 'Figures', level: 1, page: 2 },
      { kind: 'table', text: 'Quarter | Revenue\nQ1 | 10 & rising\nQ2 | 12', page: 2 },
      { kind: 'code', text: 'SELECT sum(revenue) FROM quarters;', page: 2 },
    ])
    const allText = document.blocks.map((block) => block.text).join('\n')
    expect(allText).not.toContain('Confidential')
    expect(allText).not.toContain('Page 1 of 2')
  })

  it('sends no API key header when none is configured, and gives extension-less files the right extension', async () => {
    const parser = createUnstructuredParser({ apiUrl: baseUrl, retryBudgetMs: 0 })
    await parser.parse({
      bytes: new Uint8Array([0x50, 0x4b, 3, 4]),
      fileName: 'minutes',
      mimeType: docxMimeType,
    })
    expect(calls[0]?.apiKey).toBeUndefined()
    expect(calls[0]?.fileName).toBe('minutes.docx')
    expect(calls[0]?.fileType).toBe(docxMimeType)
  })

  it('keeps a path prefix in apiUrl (e.g. behind a reverse proxy)', async () => {
    const parser = createUnstructuredParser({ apiUrl: `${baseUrl}/unstructured/`, retryBudgetMs: 0 })
    const document = await parser.parse(pdfInput)
    expect(calls[0]?.path).toBe('/unstructured/general/v0/general')
    expect(document.pageCount).toBe(2)
  })

  it('uses an injected fetch', async () => {
    const fetchSpy = vi.fn((...args: Parameters<typeof fetch>) => fetch(...args))
    const parser = createUnstructuredParser({ apiUrl: baseUrl, fetch: fetchSpy, retryBudgetMs: 0 })
    await parser.parse(pdfInput)
    expect(fetchSpy).toHaveBeenCalledTimes(1)
    expect(calls).toHaveLength(1)
  })

  it('turns a 422 into unprocessable_document carrying the API message', async () => {
    answers.push({ status: 422, body: { detail: 'File type application/x-broken is not supported.' } })
    const parser = createUnstructuredParser({ apiUrl: baseUrl, retryBudgetMs: 0 })
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unprocessable_document')
    expect(error.status).toBe(422)
    expect(error.message).toBe(
      'The Unstructured API could not process the document: File type application/x-broken is not supported.',
    )
    expect(error.details).toEqual({ status: 422 })
  })

  it('formats FastAPI validation lists from a 422', async () => {
    answers.push({
      status: 422,
      body: { detail: [{ loc: ['body', 'files'], msg: 'Field required', type: 'missing' }] },
    })
    const parser = createUnstructuredParser({ apiUrl: baseUrl, retryBudgetMs: 0 })
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unprocessable_document')
    expect(error.message).toBe('The Unstructured API could not process the document: files: Field required')
  })

  it('turns other 4xx answers (400) into unprocessable_document too', async () => {
    answers.push({ status: 400, body: { detail: 'File is password protected.' } })
    const parser = createUnstructuredParser({ apiUrl: baseUrl, retryBudgetMs: 0 })
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unprocessable_document')
    expect(error.message).toBe(
      'The Unstructured API could not process the document: File is password protected.',
    )
  })

  it('reports a refused API key as unavailable (not the document’s fault)', async () => {
    answers.push({ status: 401, body: { detail: 'API key is invalid' } })
    const parser = createUnstructuredParser({ apiUrl: baseUrl, apiKey: 'wrong', retryBudgetMs: 0 })
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unavailable')
    expect(error.message).toBe(
      `The Unstructured API at ${baseUrl} refused the API key (401); check UNSTRUCTURED_API_KEY.`,
    )
    expect(error.message).not.toContain('wrong')
  })

  it('turns a 5xx into unavailable', async () => {
    answers.push({ status: 500, body: { detail: 'model crashed' } })
    const parser = createUnstructuredParser({ apiUrl: baseUrl, retryBudgetMs: 0 })
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unavailable')
    expect(error.status).toBe(503)
    expect(error.message).toBe(`The Unstructured API at ${baseUrl} is unavailable (it answered 500).`)
  })

  it('retries a 503 within its retry budget', async () => {
    answers.push({ status: 503, body: { detail: 'warming up' } })
    const parser = createUnstructuredParser({ apiUrl: baseUrl, retryBudgetMs: 3_000 })
    const document = await parser.parse(pdfInput)
    expect(calls).toHaveLength(2)
    expect(document.title).toBe('Annual Report 2025')
  })

  it('reports a server that is down as unavailable', async () => {
    const down = http.createServer()
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve))
    const downUrl = `http://127.0.0.1:${(down.address() as AddressInfo).port}`
    await new Promise<void>((resolve) => down.close(() => resolve()))
    const parser = createUnstructuredParser({ apiUrl: downUrl, retryBudgetMs: 0 })
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unavailable')
    expect(error.message).toBe(`The Unstructured API at ${downUrl} is unavailable (could not connect).`)
  })

  it('gives up after timeoutMs', async () => {
    answers.push('hang')
    const parser = createUnstructuredParser({ apiUrl: baseUrl, timeoutMs: 300, retryBudgetMs: 0 })
    const started = Date.now()
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unavailable')
    expect(error.message).toBe(`The Unstructured API at ${baseUrl} is unavailable (no answer within 300 ms).`)
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('rejects a non-list answer as unavailable', async () => {
    answers.push({ status: 200, body: { elements: [] } })
    const parser = createUnstructuredParser({ apiUrl: baseUrl, retryBudgetMs: 0 })
    const error = await failure(parser.parse(pdfInput))
    expect(error.code).toBe('unavailable')
  })

  it('declares the formats it takes over', () => {
    const parser = createUnstructuredParser({ apiUrl: baseUrl })
    expect(parser.name).toBe('unstructured')
    expect(parser.mimeTypes).toBe(unstructuredMimeTypes)
    expect([...unstructuredMimeTypes].sort()).toEqual(
      [
        'application/pdf',
        'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        docxMimeType,
        'message/rfc822',
        'text/csv',
        'text/html',
        'text/markdown',
        'text/plain',
      ].sort(),
    )
  })
})

describe('mapUnstructuredElements', () => {
  it('maps paragraph-like types, falls back to the table text, and keeps unknown types with text', () => {
    const mapped = mapUnstructuredElements([
      { type: 'Address', text: '1 Main St', metadata: {} },
      { type: 'EmailAddress', text: 'hi@example.com' },
      { type: 'FigureCaption', text: 'Figure 1: growth' },
      { type: 'Formula', text: 'E = mc^2' },
      { type: 'Text', text: 'plain' },
      { type: 'Table', text: 'a b c', metadata: { page_number: 3 } },
      { type: 'SomethingNew', text: 'future element' },
      { type: 'Title', text: 'Deep', metadata: { category_depth: 9 } },
    ])
    expect(mapped.blocks.map((block) => block.kind)).toEqual([
      'paragraph',
      'paragraph',
      'paragraph',
      'paragraph',
      'paragraph',
      'table',
      'paragraph',
      'heading',
    ])
    expect(mapped.blocks[5]).toEqual({ kind: 'table', text: 'a b c', page: 3 })
    expect(mapped.blocks[7]?.level).toBe(6)
    expect(mapped.title).toBe('Deep')
    expect(mapped.pageCount).toBe(3)
  })

  it('has no page count when the format has no pages', () => {
    const mapped = mapUnstructuredElements([{ type: 'NarrativeText', text: 'hello' }])
    expect(mapped.pageCount).toBeUndefined()
    expect(mapped.blocks).toEqual([{ kind: 'paragraph', text: 'hello' }])
  })

  it('flattens table HTML into rows', () => {
    expect(
      tableHtmlToText('<table><tr><td>a<br/>b</td><td>&#x263A;</td></tr><tr><td></td><td></td></tr></table>'),
    ).toBe('a b | ☺')
  })
})
