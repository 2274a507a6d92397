import type { Express } from 'express'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, createTestWorkspace, type TestWorkspace } from './support/http-fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

let testDatabase: TestDatabase
let app: Express
let acme: TestWorkspace
let globex: TestWorkspace

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  acme = await createTestWorkspace({ database: testDatabase.database, slug: 'acme-tools' })
  globex = await createTestWorkspace({ database: testDatabase.database, slug: 'globex-tools' })
  app = createTestApp({ database: testDatabase.database })
})

afterAll(async () => {
  await testDatabase?.close()
})

const as = (workspace: TestWorkspace, role: keyof TestWorkspace['members']) => ({
  get: (path: string) =>
    request(app)
      .get(path)
      .set('Authorization', `Bearer ${workspace.apiKey}`)
      .set('X-Nereid-User', workspace.members[role].email),
  post: (path: string, body?: object) =>
    request(app)
      .post(path)
      .set('Authorization', `Bearer ${workspace.apiKey}`)
      .set('X-Nereid-User', workspace.members[role].email)
      .send(body ?? {}),
  put: (path: string, body: object) =>
    request(app)
      .put(path)
      .set('Authorization', `Bearer ${workspace.apiKey}`)
      .set('X-Nereid-User', workspace.members[role].email)
      .send(body),
})

describe('tools over HTTP', () => {
  it("lists the tools with JSON Schemas, risk and the member's effective policy", async () => {
    const response = await as(acme, 'member').get('/v1/tools')
    expect(response.status).toBe(200)
    const createTask = response.body.data.find((tool: { name: string }) => tool.name === 'create_task')
    expect(createTask).toMatchObject({
      risk: 'write',
      category: 'tasks',
      policy: { mode: 'ask', rule: 'risk-default' },
    })
    expect(createTask.inputSchema.properties.title.description).toMatch(/imperative/)
    expect(createTask.inputSchema.required).toContain('title')
    const asViewer = await as(acme, 'viewer').get('/v1/tools')
    expect(asViewer.body.data.find((tool: { name: string }) => tool.name === 'create_task').policy.mode).toBe(
      'off',
    )
  })

  it('answers 202 pending, then approval executes it and the history shows it', async () => {
    const invoked = await as(acme, 'member').post('/v1/tools/create_task/invoke', {
      input: { title: 'Call Initech back' },
    })
    expect(invoked.status).toBe(202)
    expect(invoked.body).toMatchObject({
      status: 'pending',
      summary: "Create medium task 'Call Initech back'",
    })
    const pending = await as(acme, 'admin').get('/v1/actions?status=pending')
    expect(pending.body.data.map((action: { id: string }) => action.id)).toContain(invoked.body.actionId)

    const approved = await as(acme, 'admin').post(`/v1/actions/${invoked.body.actionId}/approve`)
    expect(approved.status).toBe(200)
    expect(approved.body.result.task.title).toBe('Call Initech back')
    const second = await as(acme, 'member').post(`/v1/actions/${invoked.body.actionId}/approve`)
    expect(second.status).toBe(409)
    expect(second.body.error.message).toMatch(/already approved by admin of acme-tools/)

    const tasks = await as(acme, 'member').get('/v1/tasks?q=Initech')
    expect(tasks.body.data).toHaveLength(1)
    const executed = await as(acme, 'member').get('/v1/actions?status=executed')
    expect(executed.body.data[0]).toMatchObject({ kind: 'history', tool: 'create_task', undoable: true })

    const undone = await as(acme, 'member').post(`/v1/actions/${invoked.body.actionId}/undo`)
    expect(undone.status).toBe(200)
    expect((await as(acme, 'member').get('/v1/tasks?q=Initech')).body.data).toHaveLength(0)
  })

  it('runs at once (200) after the member switches the tool to auto', async () => {
    const updated = await as(acme, 'member').put('/v1/autonomy', {
      settings: [{ scopeType: 'tool', scope: 'create_task', mode: 'auto' }],
    })
    expect(updated.status).toBe(200)
    expect(updated.body.effective.create_task).toMatchObject({ mode: 'auto', rule: 'member-choice' })
    const invoked = await as(acme, 'member').post('/v1/tools/create_task/invoke', {
      input: { title: 'Prep QBR deck' },
    })
    expect(invoked.status).toBe(200)
    expect(invoked.body).toMatchObject({ status: 'executed', summary: "Create medium task 'Prep QBR deck'" })
  })

  it('answers 403 for a viewer, 400 for invalid input, 404 for an unknown tool', async () => {
    const viewer = await as(acme, 'viewer').post('/v1/tools/create_task/invoke', { input: { title: 'x' } })
    expect(viewer.status).toBe(403)
    expect(viewer.body.error.message).toMatch(/Viewers/)
    const invalid = await as(acme, 'owner').post('/v1/tools/create_task/invoke', {
      input: { title: 'x', dueAt: 'tomorrow' },
    })
    expect(invalid.status).toBe(400)
    expect(invalid.body.error.message).toMatch(/dueAt/)
    const notAnObject = await as(acme, 'owner').post('/v1/tools/create_task/invoke', { input: 'make a task' })
    expect(notAnObject.status).toBe(400)
    const extraField = await as(acme, 'owner').post('/v1/tools/create_task/invoke', {
      input: {},
      approve: true,
    })
    expect(extraField.status).toBe(400)
    expect(extraField.body.error.message).toMatch(/unknown field "approve"/)
    expect((await as(acme, 'owner').post('/v1/tools/drop_tables/invoke', { input: {} })).status).toBe(404)
  })

  it("never lets one workspace see or decide another workspace's actions", async () => {
    const invoked = await as(acme, 'member').post('/v1/tools/create_task/invoke', {
      input: { title: 'Acme only' },
    })
    await as(acme, 'member').put('/v1/autonomy', {
      settings: [{ scopeType: 'tool', scope: 'create_task', mode: 'ask' }],
    })
    const pending = await as(acme, 'member').post('/v1/tools/create_task/invoke', {
      input: { title: 'Acme pending' },
    })
    expect(pending.status).toBe(202)
    const foreignApprove = await as(globex, 'owner').post(`/v1/actions/${pending.body.actionId}/approve`)
    expect(foreignApprove.status).toBe(404)
    const foreignUndo = await as(globex, 'owner').post(`/v1/actions/${invoked.body.actionId}/undo`)
    expect(foreignUndo.status).toBe(404)
    const listed = await as(globex, 'owner').get('/v1/actions')
    expect(JSON.stringify(listed.body)).not.toContain('Acme')
  })

  it('validates action ids, statuses and autonomy bodies', async () => {
    expect((await as(acme, 'owner').post('/v1/actions/not-an-id/approve')).status).toBe(400)
    expect((await as(acme, 'owner').get('/v1/actions?status=maybe')).status).toBe(400)
    const badMode = await as(acme, 'owner').put('/v1/autonomy', {
      settings: [{ scopeType: 'tool', scope: 'create_task', mode: 'yolo' }],
    })
    expect(badMode.status).toBe(400)
    const memberDefaults = await as(acme, 'member').put('/v1/autonomy', {
      settings: [{ scopeType: 'risk', scope: 'write', mode: 'auto' }],
      workspace: true,
    })
    expect(memberDefaults.status).toBe(403)
  })
})
