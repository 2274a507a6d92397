import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Express } from 'express'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, createTestWorkspace, type TestWorkspace } from './support/http-fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

const fixtures = join(import.meta.dirname, 'fixtures', 'documents')
const fixture = (name: string) => readFileSync(join(fixtures, name))

let testDatabase: TestDatabase
let app: Express
let acme: TestWorkspace
let globex: TestWorkspace

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  acme = await createTestWorkspace({ database: testDatabase.database, slug: 'acme-knowledge' })
  globex = await createTestWorkspace({ database: testDatabase.database, slug: 'globex-knowledge' })
  app = createTestApp({ database: testDatabase.database, maxUploadBytes: 2 * 1024 * 1024 })
})

afterAll(async () => {
  await testDatabase?.close()
})

const as = (workspace: TestWorkspace, role: keyof TestWorkspace['members']) => {
  const auth = <T extends request.Test>(call: T) =>
    call
      .set('Authorization', `Bearer ${workspace.apiKey}`)
      .set('X-Nereid-User', workspace.members[role].email)
  return {
    get: (path: string) => auth(request(app).get(path)),
    post: (path: string) => auth(request(app).post(path)),
    delete: (path: string) => auth(request(app).delete(path)),
  }
}

/** Polls the document until processing ends. */
async function settled(workspace: TestWorkspace, id: string) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const response = await as(workspace, 'member').get(`/v1/knowledge/documents/${id}`)
    if (response.body.status !== 'processing') return response.body
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`document ${id} still processing`)
}

describe('the knowledge API', () => {
  it('ingests an uploaded PDF and finds a known sentence with its page', async () => {
    const uploaded = await as(acme, 'member')
      .post('/v1/knowledge/documents')
      .attach('file', fixture('multi-column-2p.pdf'), 'multi-column-2p.pdf')
    expect(uploaded.status).toBe(202)
    expect(uploaded.body.status).toBe('processing')
    const document = await settled(acme, uploaded.body.id)
    expect(document).toMatchObject({ status: 'ready', mimeType: 'application/pdf', pageCount: 2 })
    expect(document.chunkCount).toBeGreaterThan(0)
    const search = await as(acme, 'viewer').get(
      '/v1/knowledge/search?q=ICT pretraining is computationally intensive&k=5',
    )
    expect(search.status).toBe(200)
    const hit = search.body.results[0]
    expect(hit).toMatchObject({ documentId: uploaded.body.id, page: 2 })
    expect(hit.text).toMatch(/ICT pretraining is computationally intensive/)
  })

  it('takes a note as JSON and does not ingest identical content twice', async () => {
    const note = {
      title: 'Expense policy',
      text: '# Expenses\n\nExpense reports are due on the fifth business day of each month.',
    }
    const first = await as(acme, 'member').post('/v1/knowledge/documents').send(note)
    expect(first.status).toBe(202)
    await settled(acme, first.body.id)
    const second = await as(acme, 'member').post('/v1/knowledge/documents').send(note)
    expect(second.body).toMatchObject({ id: first.body.id, duplicate: true })
    const search = await as(acme, 'member').get('/v1/knowledge/search?q=when are expense reports due')
    expect(search.body.results[0]).toMatchObject({ documentId: first.body.id, headingPath: ['Expenses'] })
  })

  it('keeps documents and search results inside their workspace', async () => {
    const secret = await as(globex, 'member')
      .post('/v1/knowledge/documents')
      .send({ title: 'Globex plans', text: 'The zeppelin launch is scheduled for the third quarter.' })
    await settled(globex, secret.body.id)
    const fromAcme = await as(acme, 'owner').get('/v1/knowledge/search?q=zeppelin launch')
    expect(fromAcme.body.results.map((result: { documentId: string }) => result.documentId)).not.toContain(
      secret.body.id,
    )
    expect(JSON.stringify(fromAcme.body)).not.toContain('zeppelin')
    expect((await as(acme, 'owner').get(`/v1/knowledge/documents/${secret.body.id}`)).status).toBe(404)
    expect((await as(acme, 'owner').delete(`/v1/knowledge/documents/${secret.body.id}`)).status).toBe(404)
    const listed = await as(acme, 'owner').get('/v1/knowledge/documents?limit=100')
    expect(listed.body.data.map((document: { id: string }) => document.id)).not.toContain(secret.body.id)
    expect(
      (await as(globex, 'owner').get('/v1/knowledge/search?q=zeppelin launch')).body.results[0].documentId,
    ).toBe(secret.body.id)
  })

  it('ends an encrypted PDF and an empty file as failed with a clear reason and no chunks', async () => {
    const encrypted = await as(acme, 'member')
      .post('/v1/knowledge/documents')
      .attach('file', fixture('password.pdf'), 'password.pdf')
    expect(await settled(acme, encrypted.body.id)).toMatchObject({
      status: 'failed',
      chunkCount: 0,
      error: expect.stringMatching(/encrypted/),
    })
    const blank = await as(acme, 'member')
      .post('/v1/knowledge/documents')
      .attach('file', fixture('fake-text-all-whitespace.txt'), 'blank.txt')
    expect(
      blank.status === 400 || (await settled(acme, blank.body.id)).error?.match(/No text found/),
    ).toBeTruthy()
  })

  it('refuses unsupported types with 415 and too-large files with 413, storing nothing', async () => {
    const before = (await as(acme, 'owner').get('/v1/knowledge/documents?limit=100')).body.data.length
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')
    const unsupported = await as(acme, 'member')
      .post('/v1/knowledge/documents')
      .attach('file', png, 'pixel.png')
    expect(unsupported.status).toBe(415)
    const huge = await as(acme, 'member')
      .post('/v1/knowledge/documents')
      .attach('file', Buffer.alloc(3 * 1024 * 1024, 'a'), 'huge.txt')
    expect(huge.status).toBe(413)
    expect((await as(acme, 'owner').get('/v1/knowledge/documents?limit=100')).body.data.length).toBe(before)
  })

  it('refuses URLs that resolve to private or loopback addresses (SSRF guard)', async () => {
    const added = await as(acme, 'member')
      .post('/v1/knowledge/documents')
      .send({ url: 'http://127.0.0.1:9/admin' })
    expect(added.status).toBe(202)
    const document = await settled(acme, added.body.id)
    expect(document.status).toBe('failed')
    expect(document.error).toMatch(/loopback|private/)
  })

  it("ingests a URL and, added again, replaces its chunks with the page's new content", async () => {
    let body =
      '<html><head><title>Office hours</title></head><body><h1>Office hours</h1><p>The Lisbon office opens at nine.</p></body></html>'
    const site = http.createServer((_request, response) => {
      response.setHeader('Content-Type', 'text/html; charset=utf-8')
      response.end(body)
    })
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    // A trusted intranet: private addresses allowed for this app only.
    const intranetApp = createTestApp({
      database: testDatabase.database,
      knowledgeOptions: { allowPrivateUrls: true },
    })
    const post = (payload: object) =>
      request(intranetApp)
        .post('/v1/knowledge/documents')
        .set('Authorization', `Bearer ${acme.apiKey}`)
        .set('X-Nereid-User', acme.members.member.email)
        .send(payload)
    try {
      const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/hours`
      const first = await post({ url })
      const ready = await settled(acme, first.body.id)
      expect(ready).toMatchObject({
        status: 'ready',
        title: 'Office hours',
        sourceUrl: url,
        mimeType: 'text/html',
      })
      body = body.replace('opens at nine', 'opens at ten')
      const again = await post({ url })
      expect(again.body).toMatchObject({ id: first.body.id, duplicate: true, status: 'processing' })
      await settled(acme, first.body.id)
      const texts = (await as(acme, 'member').get('/v1/knowledge/search?q=Lisbon office opens')).body.results
        .filter((result: { documentId: string }) => result.documentId === first.body.id)
        .map((result: { text: string }) => result.text)
      expect(texts.join(' ')).toMatch(/opens at ten/)
      expect(texts.join(' ')).not.toMatch(/opens at nine/)
    } finally {
      await new Promise((resolve) => site.close(resolve))
    }
  })

  it('lets viewers search but not add or delete, and validates input', async () => {
    expect(
      (await as(acme, 'viewer').post('/v1/knowledge/documents').send({ title: 't', text: 'x' })).status,
    ).toBe(403)
    expect((await as(acme, 'member').post('/v1/knowledge/documents').send({ text: 'no title' })).status).toBe(
      400,
    )
    expect((await as(acme, 'member').get('/v1/knowledge/search')).status).toBe(400)
    expect((await as(acme, 'member').get('/v1/knowledge/search?q=x&k=500')).status).toBe(400)
  })

  it('deletes a document with its chunks', async () => {
    const note = await as(acme, 'member')
      .post('/v1/knowledge/documents')
      .send({ title: 'Doomed', text: 'Quarterly walrus census results.' })
    await settled(acme, note.body.id)
    const documentsFound = async () =>
      (await as(acme, 'member').get('/v1/knowledge/search?q=walrus census')).body.results.map(
        (result: { documentId: string }) => result.documentId,
      )
    expect(await documentsFound()).toContain(note.body.id)
    expect((await as(acme, 'member').delete(`/v1/knowledge/documents/${note.body.id}`)).status).toBe(204)
    expect(await documentsFound()).not.toContain(note.body.id)
    expect((await as(acme, 'member').get(`/v1/knowledge/documents/${note.body.id}`)).status).toBe(404)
  })
})
