import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { fixedClock } from '../core/index.ts'
import { createApiKey, seedDemoWorkspace } from '../db/index.ts'
import { createTestServices } from './support/http-fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

/**
 * Insights over HTTP and delivery to an open widget session: run (admins only), list, accept
 * (pending -> approve -> executed), dismiss, snooze, notifications and preferences, and another
 * workspace's key seeing none of it.
 */

const now = new Date('2026-03-02T09:00:00Z')
let testDatabase: TestDatabase
let services: ReturnType<typeof createTestServices>
let served: Awaited<ReturnType<ReturnType<typeof createTestServices>['listen']>>
let apiKey: string
let otherKey: string
let members: { userId: string; email: string; role: string }[]
let workspaceId: string

async function call(
  method: string,
  path: string,
  { user, body, key = apiKey }: { user: string; body?: unknown; key?: string },
) {
  const response = await fetch(`${served.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      'x-nereid-user': user,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of JSON responses
  return { status: response.status, body: (await response.json()) as any }
}

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  const { database } = testDatabase
  const seeded = await seedDemoWorkspace({ database, clock: fixedClock(now), slug: 'insights-http' })
  const other = await seedDemoWorkspace({
    database,
    clock: fixedClock(now),
    slug: 'insights-other',
    random: 7,
  })
  workspaceId = seeded.workspace.id
  members = seeded.members.map((member) => ({
    userId: member.userId,
    email: member.email,
    role: member.role,
  }))
  apiKey = (
    await database.withTenant({ workspaceId, userId: members[0]!.userId }, (tenant) =>
      createApiKey(tenant, { name: 'insights test' }),
    )
  ).key
  otherKey = (
    await database.withTenant(
      { workspaceId: other.workspace.id, userId: other.members[0]!.userId },
      (tenant) => createApiKey(tenant, { name: 'other' }),
    )
  ).key
  services = createTestServices({ database, clock: fixedClock(now) })
  served = await services.listen()
}, 120_000)

afterAll(async () => {
  services?.stopListening()
  await served?.close()
  await testDatabase?.close()
})

describe('insights over HTTP', () => {
  it('only owners and admins may run the detectors; a run reaches an open widget session', async () => {
    const owner = members.find((member) => member.role === 'owner')!
    const plain = members.find((member) => member.role === 'member')!
    expect((await call('POST', '/v1/insights/run', { user: plain.email })).status).toBe(403)

    // Every member with insights has a widget tab open.
    const { token } = services.widgetTokens.issue({ workspaceId, userId: plain.userId })
    const socket = new WebSocket(
      `${served.url.replace('http', 'ws')}/v1/ws?token=${encodeURIComponent(token)}`,
      {
        origin: served.url,
      },
    )
    const frames: { type: string; notification?: { id: string; title: string } }[] = []
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString())
        frames.push(frame)
        if (frame.type === 'ready') resolve()
      })
      socket.on('error', reject)
    })

    const run = await call('POST', '/v1/insights/run', { user: owner.email })
    expect(run.status).toBe(200)
    expect(run.body).toMatchObject({ raised: 18, workspaceId })

    const listed = await call('GET', '/v1/notifications', { user: plain.email })
    expect(listed.status).toBe(200)
    expect(listed.body.data.length).toBeGreaterThan(0)
    for (
      let attempt = 0;
      attempt < 50 && !frames.some((frame) => frame.type === 'notification');
      attempt += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const pushed = frames
      .filter((frame) => frame.type === 'notification')
      .map((frame) => frame.notification!.id)
    expect(pushed.sort()).toEqual(
      listed.body.data.map((notification: { id: string }) => notification.id).sort(),
    )
    socket.close()

    const read = await call('POST', `/v1/notifications/${pushed[0]}/read`, { user: plain.email })
    expect(read.status).toBe(200)
    expect(read.body.readAt).toEqual(expect.any(String))
    expect((await call('POST', `/v1/notifications/${pushed[0]}/read`, { user: owner.email })).status).toBe(
      404,
    )
  })

  it('lists, accepts (pending, approved, executed), dismisses and snoozes', async () => {
    const plain = members.find((member) => member.role === 'member')!
    const open = await call('GET', '/v1/insights?status=open', { user: plain.email })
    expect(open.status).toBe(200)
    expect(open.body.data.length).toBeGreaterThan(0)
    expect((await call('GET', '/v1/insights?status=bogus', { user: plain.email })).status).toBe(400)

    const actionable = open.body.data.filter(
      (insight: { suggestedAction: unknown }) => insight.suggestedAction,
    )
    const [toAccept, toDismiss, toSnooze] = actionable
    const accepted = await call('POST', `/v1/insights/${toAccept.id}/accept`, { user: plain.email })
    expect(accepted.status).toBe(202)
    expect(accepted.body).toMatchObject({ insight: { status: 'accepted' }, action: { status: 'pending' } })
    const approved = await call('POST', `/v1/actions/${accepted.body.action.actionId}/approve`, {
      user: plain.email,
    })
    expect(approved.status).toBe(200)
    expect(approved.body.status).toBe('executed')
    let actionStatus = ''
    for (let attempt = 0; attempt < 50 && actionStatus !== 'executed'; attempt += 1) {
      const list = await call('GET', '/v1/insights?status=accepted', { user: plain.email })
      actionStatus = list.body.data.find(
        (insight: { id: string }) => insight.id === toAccept.id,
      )?.actionStatus
    }
    expect(actionStatus).toBe('executed')
    expect((await call('POST', `/v1/insights/${toAccept.id}/accept`, { user: plain.email })).status).toBe(409)

    expect(
      (await call('POST', `/v1/insights/${toDismiss.id}/dismiss`, { user: plain.email })).body.status,
    ).toBe('dismissed')
    const until = new Date(now.getTime() + 24 * 60 * 60 * 1000).toISOString()
    const snoozed = await call('POST', `/v1/insights/${toSnooze.id}/snooze`, {
      user: plain.email,
      body: { until },
    })
    expect(snoozed.body).toMatchObject({ status: 'snoozed', snoozedUntil: until })
    expect(
      (
        await call('POST', `/v1/insights/${toSnooze.id}/snooze`, {
          user: plain.email,
          body: { until: 'soon' },
        })
      ).status,
    ).toBe(400)

    // Another workspace's key sees none of it.
    const otherOwner = 'olivia.bennett@acme-demo.test'
    expect(
      (await call('POST', `/v1/insights/${toSnooze.id}/dismiss`, { user: otherOwner, key: otherKey })).status,
    ).toBe(404)
    expect((await call('GET', '/v1/insights', { user: otherOwner, key: otherKey })).body.data).toEqual([])
  })

  it('owners and admins change the thresholds; null restores a default', async () => {
    const admin = members.find((member) => member.role === 'admin')!
    const plain = members.find((member) => member.role === 'member')!
    const defaults = await call('GET', '/v1/insights/settings', { user: plain.email })
    expect(defaults.body).toMatchObject({
      settings: { staleDealDays: 14, hotProspectScore: 80, digestHour: 8 },
      overrides: [],
    })
    expect(
      (await call('PUT', '/v1/insights/settings', { user: plain.email, body: { staleDealDays: 30 } })).status,
    ).toBe(403)
    expect(
      (await call('PUT', '/v1/insights/settings', { user: admin.email, body: { staleDealDays: -1 } })).status,
    ).toBe(400)
    expect(
      (await call('PUT', '/v1/insights/settings', { user: admin.email, body: { bogus: 1 } })).status,
    ).toBe(400)
    const saved = await call('PUT', '/v1/insights/settings', {
      user: admin.email,
      body: { staleDealDays: 30 },
    })
    expect(saved.body).toMatchObject({ settings: { staleDealDays: 30 }, overrides: ['staleDealDays'] })
    const restored = await call('PUT', '/v1/insights/settings', {
      user: admin.email,
      body: { staleDealDays: null },
    })
    expect(restored.body).toMatchObject({ settings: { staleDealDays: 14 }, overrides: [] })
  })

  it('reads and replaces notification preferences', async () => {
    const plain = members.find((member) => member.role === 'member')!
    expect((await call('GET', '/v1/notifications/preferences', { user: plain.email })).body).toEqual({
      channels: ['widget', 'slack'],
      quietHours: null,
      digestOnly: false,
    })
    const body = { channels: ['widget'], quietHours: { start: '22:00', end: '07:00' }, digestOnly: true }
    const saved = await call('PUT', '/v1/notifications/preferences', { user: plain.email, body })
    expect(saved.status).toBe(200)
    expect(saved.body).toEqual(body)
    expect((await call('GET', '/v1/notifications/preferences', { user: plain.email })).body).toEqual(body)
    const bad = await call('PUT', '/v1/notifications/preferences', {
      user: plain.email,
      body: { channels: ['pager'], quietHours: { start: '25:00', end: '07:00' } },
    })
    expect(bad.status).toBe(400)
  })
})
