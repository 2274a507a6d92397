import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseParser } from './choose-parser.ts'

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'documents')
let server: http.Server
let apiUrl: string
let requests = 0

beforeAll(async () => {
  // A stand-in for the Unstructured API: answers every partition request with two pages of elements.
  server = http.createServer((request, response) => {
    requests += 1
    request.resume()
    request.on('end', () => {
      response.setHeader('Content-Type', 'application/json')
      response.end(
        JSON.stringify([
          { type: 'Title', element_id: '1', text: 'Quarterly memo', metadata: { page_number: 1 } },
          {
            type: 'NarrativeText',
            element_id: '2',
            text: 'Revenue grew by twelve percent.',
            metadata: { page_number: 1 },
          },
          {
            type: 'NarrativeText',
            element_id: '3',
            text: 'Hiring continues in Lisbon.',
            metadata: { page_number: 2 },
          },
        ]),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

describe('choosing the parser', () => {
  it('uses the local parsers when no Unstructured API is configured', async () => {
    const parse = chooseParser({ apiUrl: undefined, apiKey: undefined })
    const parsed = await parse({
      bytes: readFileSync(join(fixtures, 'fake-text.txt')),
      fileName: 'fake-text.txt',
    })
    expect(parsed.blocks.map((block) => block.text).join('\n')).toMatch(/This is a test document/)
    expect(requests).toBe(0)
  })

  it('sends documents to the Unstructured API when it is configured, keeping its pages', async () => {
    const parse = chooseParser({ apiUrl, apiKey: 'secret' })
    const parsed = await parse({
      bytes: readFileSync(join(fixtures, 'fake-memo.pdf')),
      fileName: 'fake-memo.pdf',
    })
    expect(requests).toBe(1)
    expect(parsed).toMatchObject({ title: 'Quarterly memo', pageCount: 2 })
    expect(parsed.blocks).toContainEqual(
      expect.objectContaining({ text: 'Hiring continues in Lisbon.', page: 2 }),
    )
  })

  it('still refuses unsupported types locally, without calling the API', async () => {
    const parse = chooseParser({ apiUrl, apiKey: undefined })
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')
    await expect(parse({ bytes: png, fileName: 'x.png' })).rejects.toMatchObject({ status: 415 })
    expect(requests).toBe(1)
  })
})
