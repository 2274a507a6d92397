import type { Express } from 'express'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../core/index.ts'
import { revokeApiKey } from '../db/index.ts'
import { createTestApp, createTestWorkspace, type TestWorkspace } from './support/http-fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

let testDatabase: TestDatabase
let app: Express
let acme: TestWorkspace
let globex: TestWorkspace

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  const { database } = testDatabase
  acme = await createTestWorkspace({ database, slug: 'acme' })
  globex = await createTestWorkspace({ database, slug: 'globex' })
  await database.withTenant(
    { workspaceId: acme.id, userId: acme.members.owner.userId },
    async ({ models, transaction }) => {
      const customer = await models.Customer.create(
        {
          name: 'Initech',
          domain: 'initech.test',
          industry: 'Software',
          status: 'active',
          ownerId: acme.members.owner.userId,
          notes: null,
        },
        { transaction },
      )
      await models.Customer.create(
        {
          name: 'Umbrella 100% Corp',
          domain: null,
          industry: 'Pharma',
          status: 'lead',
          ownerId: null,
          notes: null,
        },
        { transaction },
      )
      for (let index = 0; index < 30; index += 1) {
        await models.Deal.create(
          {
            name: `Deal ${String(index).padStart(2, '0')}`,
            customerId: customer.get().id,
            contactId: null,
            stage: index % 2 === 0 ? 'proposal' : 'won',
            valueCents: 100_000 + index,
            currency: 'USD',
            expectedCloseDate: '2026-04-01',
            ownerId: acme.members.member.userId,
            closedAt: index % 2 === 0 ? null : new Date('2026-02-01T00:00:00Z'),
          },
          { transaction },
        )
      }
    },
  )
  await database.withTenant({ workspaceId: globex.id }, ({ models, transaction }) =>
    models.Customer.create(
      {
        name: 'Globex Secret Customer',
        domain: null,
        industry: null,
        status: 'active',
        ownerId: null,
        notes: null,
      },
      { transaction },
    ),
  )
  app = createTestApp({ database })
})

afterAll(async () => {
  await testDatabase?.close()
})

const asAcme = (path: string, user?: string) =>
  request(app)
    .get(path)
    .set('Authorization', `Bearer ${acme.apiKey}`)
    .set('X-Nereid-User', user ?? acme.members.owner.email)

describe('health', () => {
  it('answers /healthz and /readyz when migrations are current', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' })
    const ready = await request(app).get('/readyz')
    expect(ready.status).toBe(200)
    expect(ready.body.status).toBe('ready')
  })

  it('tags every response with a request id, reusing a sane incoming one', async () => {
    const fresh = await request(app).get('/healthz')
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const reused = await request(app).get('/healthz').set('X-Request-Id', 'trace-123')
    expect(reused.headers['x-request-id']).toBe('trace-123')
    const hostile = await request(app).get('/healthz').set('X-Request-Id', 'bad id with spaces <script>')
    expect(hostile.headers['x-request-id']).not.toContain('script')
  })

  it('sends security headers and does not advertise the framework', async () => {
    const response = await request(app).get('/healthz')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['x-powered-by']).toBeUndefined()
  })
})

describe('authentication', () => {
  it.each([
    ['missing', undefined, /Missing Authorization/],
    ['not bearer', 'Basic dXNlcjpwYXNz', /Malformed Authorization/],
    ['malformed key', 'Bearer not-a-key', /malformed/],
    ['unknown key', 'Bearer nrd_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /not valid/],
  ])('rejects a %s key with 401 and the error shape', async (_label, header, message) => {
    const call = request(app).get('/v1/customers').set('X-Nereid-User', acme.members.owner.email)
    const response = await (header ? call.set('Authorization', header) : call)
    expect(response.status).toBe(401)
    expect(response.body.error.code).toBe('unauthorized')
    expect(response.body.error.message).toMatch(message)
  })

  it('rejects a key whose secret is wrong even when the prefix is real', async () => {
    const forged = `${acme.apiKey.slice(0, 17)}${'B'.repeat(43)}`
    const response = await request(app)
      .get('/v1/customers')
      .set('Authorization', `Bearer ${forged}`)
      .set('X-Nereid-User', acme.members.owner.email)
    expect(response.status).toBe(401)
  })

  it('rejects a revoked key with 401', async () => {
    const revoked = await createTestWorkspace({ database: testDatabase.database, slug: 'revoked' })
    const before = await request(app)
      .get('/v1/customers')
      .set('Authorization', `Bearer ${revoked.apiKey}`)
      .set('X-Nereid-User', revoked.members.owner.email)
    expect(before.status).toBe(200)
    const keyId = await testDatabase.database.withSystem(async ({ models, transaction }) => {
      const row = await models.ApiKey.findOne({ where: { workspaceId: revoked.id }, transaction })
      return row!.get().id
    })
    await testDatabase.database.withTenant({ workspaceId: revoked.id }, (tenant) =>
      revokeApiKey(tenant, { id: keyId, clock: fixedClock(new Date()) }),
    )
    const after = await request(app)
      .get('/v1/customers')
      .set('Authorization', `Bearer ${revoked.apiKey}`)
      .set('X-Nereid-User', revoked.members.owner.email)
    expect(after.status).toBe(401)
    expect(after.body.error.message).toMatch(/revoked/)
  })

  it('answers 403 when X-Nereid-User is a member of another workspace, by email or id', async () => {
    for (const user of [globex.members.owner.email, globex.members.owner.userId, 'nobody@nowhere.test']) {
      const response = await asAcme('/v1/customers', user)
      expect(response.status).toBe(403)
      expect(response.body.error.code).toBe('forbidden')
    }
  })

  it('asks for X-Nereid-User when it is missing', async () => {
    const response = await request(app).get('/v1/customers').set('Authorization', `Bearer ${acme.apiKey}`)
    expect(response.status).toBe(400)
    expect(response.body.error.message).toMatch(/X-Nereid-User/)
  })

  it('accepts the acting member by id as well as by email, any role', async () => {
    expect((await asAcme('/v1/customers', acme.members.viewer.userId)).status).toBe(200)
    expect((await asAcme('/v1/customers', acme.members.member.email.toUpperCase())).status).toBe(200)
  })
})

describe('record lists', () => {
  it("lists only the key's workspace records", async () => {
    const response = await asAcme('/v1/customers')
    expect(response.status).toBe(200)
    const names = response.body.data.map((customer: { name: string }) => customer.name)
    expect(names).toEqual(['Initech', 'Umbrella 100% Corp'])
    expect(JSON.stringify(response.body)).not.toContain('Globex Secret Customer')
  })

  it('searches with ?q= case-insensitively and treats % and _ literally', async () => {
    expect((await asAcme('/v1/customers?q=initECH')).body.data).toHaveLength(1)
    expect(
      (await asAcme('/v1/customers?q=100%25')).body.data.map((row: { name: string }) => row.name),
    ).toEqual(['Umbrella 100% Corp'])
    expect((await asAcme('/v1/customers?q=%25')).body.data).toHaveLength(1)
    expect((await asAcme('/v1/customers?q=_')).body.data).toHaveLength(0)
  })

  it('pages with limit and offset and says whether more exist', async () => {
    const first = await asAcme('/v1/deals?limit=10')
    expect(first.body.data).toHaveLength(10)
    expect(first.body.page).toEqual({ limit: 10, offset: 0, hasMore: true, nextOffset: 10 })
    const last = await asAcme('/v1/deals?limit=10&offset=20')
    expect(last.body.data).toHaveLength(10)
    expect(last.body.page.hasMore).toBe(false)
    const seen = new Set([...first.body.data, ...last.body.data].map((deal: { id: string }) => deal.id))
    expect(seen.size).toBe(20)
    expect(first.body.data[0].valueCents).toBeTypeOf('number')
  })

  it('filters by the declared filters', async () => {
    const won = await asAcme('/v1/deals?stage=won&limit=100')
    expect(won.body.data).toHaveLength(15)
    expect(won.body.data.every((deal: { stage: string }) => deal.stage === 'won')).toBe(true)
  })

  it.each([
    ['/v1/deals?limit=0', /limit/],
    ['/v1/deals?limit=101', /at most 100/],
    ['/v1/deals?limit=abc', /limit/],
    ['/v1/deals?offset=-5', /offset/],
    ['/v1/deals?limit=2.5', /whole number/],
    ['/v1/deals?colour=red', /unknown query parameter "colour"/],
    ['/v1/deals?stage=closed', /stage/],
    ['/v1/deals?ownerId=not-a-uuid', /ownerId/],
    ['/v1/deals?q=a&q=b', /q/],
  ])('answers 400 with a clear message for %s', async (path, message) => {
    const response = await asAcme(path)
    expect(response.status).toBe(400)
    expect(response.body.error.code).toBe('validation_failed')
    expect(response.body.error.message).toMatch(message)
  })

  it.each(['contacts', 'customers', 'prospects', 'deals', 'tasks', 'campaigns'])(
    'serves /v1/%s',
    async (kind) => {
      const response = await asAcme(`/v1/${kind}`)
      expect(response.status).toBe(200)
      expect(Array.isArray(response.body.data)).toBe(true)
    },
  )
})

describe('errors', () => {
  it('answers an oversized body with 413 before doing any work', async () => {
    const response = await request(app)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${acme.apiKey}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }))
    expect(response.status).toBe(413)
    expect(response.body.error.code).toBe('payload_too_large')
  })

  it('answers unknown routes with a JSON 404', async () => {
    const response = await request(app).get('/nope')
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe('not_found')
  })

  it('answers malformed JSON bodies with a 400, not a stack trace', async () => {
    const response = await request(app)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${acme.apiKey}`)
      .set('Content-Type', 'application/json')
      .send('{"broken": ')
    expect(response.status).toBe(400)
    expect(response.body.error.message).toMatch(/not valid JSON/)
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts/)
  })
})
