import { QueryTypes } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MemberRole } from '../../db/index.ts'
import {
  addMember,
  findRecord,
  findRecords,
  type PlainRecord,
  type TenantTransaction,
} from '../../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { createToolTestbed, type ToolTestbed } from '../../test/support/tool-fixtures.ts'

/**
 * The task tools end to end through the tool service (policy, history, undo) on the seeded demo
 * workspace. The owner runs writes directly (tasks category on auto, delete_task opted in); the
 * demo data is deterministic, and each test picks its own tasks so the tests stay independent.
 */

let testDatabase: TestDatabase
let bed: ToolTestbed
let other: ToolTestbed
const start = new Date('2026-03-02T09:00:00Z')
const dayMs = 24 * 60 * 60 * 1000

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  bed = await createToolTestbed({ database: testDatabase.database, now: start })
  other = await createToolTestbed({ database: testDatabase.database, slug: 'other', now: start })
  await bed.service.setAutonomy({
    actor: bed.actor('owner'),
    settings: [
      { scopeType: 'category', scope: 'tasks', mode: 'auto' },
      { scopeType: 'tool', scope: 'delete_task', mode: 'auto' },
    ],
  })
})

afterAll(async () => {
  await testDatabase?.close()
})

type Role = MemberRole | 'member2'

async function run(name: string, input: unknown, role: Role = 'owner') {
  const outcome = await bed.service.invoke({ actor: bed.actor(role), name, input })
  if (outcome.status !== 'executed') throw new Error(`${name} did not run: ${outcome.status}`)
  return outcome as typeof outcome & { result: Record<string, unknown> }
}

function inTenant<Result>(work: (tenant: TenantTransaction) => Promise<Result>, testbed = bed) {
  return testDatabase.database.withTenant(
    { workspaceId: testbed.workspaceId, userId: testbed.members.owner.userId },
    work,
  )
}

const allTasks = () => inTenant((tenant) => findRecords(tenant, { kind: 'task', where: {}, limit: 1000 }))
const taskById = (id: string) => inTenant((tenant) => findRecord(tenant, { kind: 'task', id }))
const countTasks = () =>
  inTenant(async (tenant) => {
    const [row] = await tenant.sequelize.query<{ count: string }>('SELECT count(*) AS count FROM tasks', {
      transaction: tenant.transaction,
      type: QueryTypes.SELECT,
    })
    return Number(row!.count)
  })

/** The first seeded task matching `predicate` (and not used by another test yet). */
const used = new Set<string>()
async function pickTask(predicate: (task: PlainRecord) => boolean): Promise<PlainRecord> {
  const task = (await allTasks()).find((candidate) => predicate(candidate) && !used.has(candidate.id))
  if (!task) throw new Error('no seeded task fits')
  used.add(task.id)
  return task
}
const isOpen = (task: PlainRecord) => task.status === 'todo' || task.status === 'in_progress'
const isOverdueAt = (task: PlainRecord, now: Date) =>
  isOpen(task) && task.dueAt instanceof Date && task.dueAt.getTime() < now.getTime()
const future = (days: number) => new Date(bed.clock.now().getTime() + days * dayMs).toISOString()

describe('list_tasks', () => {
  it('lists every task with its assignee, soonest due first', async () => {
    const outcome = await run('list_tasks', { limit: 100 })
    const result = outcome.result as { tasks: { dueAt: Date | null; assigneeName: string }[]; total: number }
    expect(result.total).toBe(40)
    expect(result.tasks).toHaveLength(40)
    expect(result.tasks[0]!.assigneeName).toEqual(expect.any(String))
    const dues = result.tasks.filter((task) => task.dueAt).map((task) => new Date(task.dueAt!).getTime())
    expect(dues).toEqual([...dues].sort((a, b) => a - b))
    expect(outcome.summary).toBe('List tasks')
  })

  it('finds overdue tasks by the injected clock, and more of them as time passes', async () => {
    const tasks = await allTasks()
    const outcome = await run('list_tasks', { overdue: true, limit: 100 })
    const result = outcome.result as { tasks: { id: string; overdue: boolean }[]; total: number }
    const expected = tasks.filter((task) => isOverdueAt(task, start)).map((task) => task.id)
    expect(expected).toHaveLength(6) // the seed plans 4 todo + 2 in progress overdue
    expect(result.tasks.map((task) => task.id).sort()).toEqual(expected.sort())
    expect(result.tasks.every((task) => task.overdue)).toBe(true)
    expect(outcome.summary).toBe('List overdue tasks')

    bed.clock.advance(3 * dayMs)
    try {
      const later = bed.clock.now()
      const laterOutcome = await run('list_tasks', { overdue: true, limit: 100 })
      const laterIds = (laterOutcome.result as { tasks: { id: string }[] }).tasks.map((task) => task.id)
      const laterExpected = tasks.filter((task) => isOverdueAt(task, later)).map((task) => task.id)
      expect(laterExpected.length).toBeGreaterThan(expected.length)
      expect(laterIds.sort()).toEqual(laterExpected.sort())

      const notOverdue = await run('list_tasks', { overdue: false, limit: 100 })
      expect((notOverdue.result as { total: number }).total).toBe(40 - laterExpected.length)
    } finally {
      bed.clock.set(start)
    }
  })

  it('filters by "me", status and a due window', async () => {
    const tasks = await allTasks()
    const owner = bed.members.owner.userId
    const mine = await run('list_tasks', { assigneeId: 'me', status: 'open', limit: 100 })
    const mineResult = mine.result as { tasks: { id: string; assigneeId: string; status: string }[] }
    const expectedMine = tasks.filter((task) => task.assigneeId === owner && isOpen(task))
    expect(mineResult.tasks.map((task) => task.id).sort()).toEqual(expectedMine.map((task) => task.id).sort())
    expect(mine.summary).toBe('List open tasks assigned to me')

    const from = new Date(start.getTime() + dayMs)
    const until = new Date('2026-03-12T00:00:00Z')
    const window = await run('list_tasks', {
      status: 'todo',
      dueAfter: from.toISOString(),
      dueBefore: '2026-03-12',
      limit: 100,
    })
    const expectedWindow = tasks.filter(
      (task) =>
        task.status === 'todo' && task.dueAt instanceof Date && task.dueAt >= from && task.dueAt < until,
    )
    expect((window.result as { tasks: { id: string }[] }).tasks.map((task) => task.id).sort()).toEqual(
      expectedWindow.map((task) => task.id).sort(),
    )
    expect(window.summary).toBe('List todo tasks due between Mar 3, 2026 and Mar 12, 2026')
  })

  it('pages with limit and says there is more', async () => {
    const outcome = await run('list_tasks', { limit: 5 })
    const result = outcome.result as { tasks: unknown[]; total: number; hasMore: boolean }
    expect(result.tasks).toHaveLength(5)
    expect(result).toMatchObject({ total: 40, hasMore: true })
    expect(outcome.summary).toBe('List tasks')
  })

  it('refuses unknown members, wrong enums and an empty due window', async () => {
    await expect(
      run('list_tasks', { assigneeId: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toMatchObject({ code: 'not_found' })
    await expect(run('list_tasks', { status: 'finished' })).rejects.toMatchObject({
      code: 'validation_failed',
    })
    await expect(
      run('list_tasks', { dueAfter: '2026-03-10', dueBefore: '2026-03-05' }),
    ).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(run('list_tasks', { dueBefore: 'next friday' })).rejects.toMatchObject({
      code: 'validation_failed',
    })
  })

  it('never shows another workspace its tasks', async () => {
    const mine = new Set((await allTasks()).map((task) => task.id))
    const outcome = await other.service.invoke({
      actor: other.actor('owner'),
      name: 'list_tasks',
      input: { limit: 100 },
    })
    const ids = (outcome as { result: { tasks: { id: string }[] } }).result.tasks.map((task) => task.id)
    expect(ids).toHaveLength(40)
    expect(ids.some((id) => mine.has(id))).toBe(false)
  })
})

describe('create_task', () => {
  it('creates a task for a colleague, names them in the summary, and undo removes it', async () => {
    const dueAt = future(2)
    const outcome = await run('create_task', {
      title: 'Call Ada about the renewal',
      priority: 'high',
      dueAt,
      assigneeId: bed.members.member.userId,
    })
    expect(outcome.summary).toBe(
      "Create high task 'Call Ada about the renewal' for Priya Raman due Mar 4, 2026",
    )
    const created = (outcome.result as { task: PlainRecord }).task
    const stored = await taskById(created.id)
    expect(stored).toMatchObject({
      title: 'Call Ada about the renewal',
      status: 'todo',
      priority: 'high',
      assigneeId: bed.members.member.userId,
      createdById: bed.members.owner.userId,
      completedAt: null,
    })
    expect((stored!.dueAt as Date).toISOString()).toBe(dueAt)

    await bed.service.undo({ actor: bed.actor('owner'), actionId: outcome.actionId })
    expect(await taskById(created.id)).toBeUndefined()
  })

  it('defaults the assignee to the member asking (who needs approval by default)', async () => {
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'create_task',
      input: { title: 'Tidy the pipeline' },
    })
    expect(pending).toMatchObject({ status: 'pending', summary: "Create medium task 'Tidy the pipeline'" })
    const approved = await bed.service.approve({ actor: bed.actor('owner'), actionId: pending.actionId })
    const task = (approved.result as { task: PlainRecord }).task
    expect(await taskById(task.id)).toMatchObject({
      title: 'Tidy the pipeline',
      assigneeId: bed.members.member.userId,
      createdById: bed.members.member.userId,
    })
  })

  it('refuses a due date in the past, a viewer, and records of another workspace, writing nothing', async () => {
    const before = await countTasks()
    const otherDeal = (
      await inTenant((tenant) => findRecords(tenant, { kind: 'deal', where: {}, limit: 1 }), other)
    )[0]!
    await expect(
      run('create_task', { title: 'Too late', dueAt: new Date(start.getTime() - dayMs).toISOString() }),
    ).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('in the past') })
    await expect(
      run('create_task', { title: 'For a viewer', assigneeId: bed.members.viewer.userId }),
    ).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('viewer') })
    await expect(run('create_task', { title: 'Their deal', dealId: otherDeal.id })).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(run('create_task', { title: '   ' })).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(run('create_task', { title: 'Bad priority', priority: 'asap' })).rejects.toMatchObject({
      code: 'validation_failed',
    })
    expect(await countTasks()).toBe(before)
  })
})

describe('update_task', () => {
  it('changes fields, completes on done, and undo restores the before-image', async () => {
    const task = await pickTask((candidate) => candidate.status === 'todo' && candidate.dueAt !== null)
    const dueAt = future(5)
    const outcome = await run('update_task', {
      taskId: task.id,
      priority: task.priority === 'urgent' ? 'low' : 'urgent',
      dueAt,
      status: 'done',
    })
    expect(outcome.summary).toBe(
      `Update task '${task.title}': status from Todo to Done, priority ${task.priority === 'urgent' ? 'low' : 'urgent'}, due Mar 7, 2026`,
    )
    const stored = await taskById(task.id)
    expect(stored).toMatchObject({ status: 'done', priority: task.priority === 'urgent' ? 'low' : 'urgent' })
    expect((stored!.completedAt as Date).toISOString()).toBe(start.toISOString())
    expect((stored!.dueAt as Date).toISOString()).toBe(dueAt)
    expect((outcome.result as { changed: string[] }).changed.sort()).toEqual(
      ['completedAt', 'dueAt', 'priority', 'status'].sort(),
    )

    await bed.service.undo({ actor: bed.actor('owner'), actionId: outcome.actionId })
    const restored = await taskById(task.id)
    expect(restored).toMatchObject({
      status: 'todo',
      priority: task.priority,
      completedAt: null,
      dueAt: task.dueAt,
    })
  })

  it('reopening a done task clears completedAt; undo completes it again as it was', async () => {
    const task = await pickTask((candidate) => candidate.status === 'done')
    const outcome = await run('update_task', { taskId: task.id, status: 'in_progress', description: null })
    const stored = await taskById(task.id)
    expect(stored).toMatchObject({ status: 'in_progress', completedAt: null })
    await bed.service.undo({ actor: bed.actor('owner'), actionId: outcome.actionId })
    expect(await taskById(task.id)).toMatchObject({
      status: 'done',
      completedAt: task.completedAt,
      description: task.description,
    })
  })

  it('undo refuses when the task changed since', async () => {
    const task = await pickTask((candidate) => candidate.status === 'todo')
    const first = await run('update_task', { taskId: task.id, title: 'First title' })
    await run('update_task', { taskId: task.id, title: 'Second title' })
    await expect(
      bed.service.undo({ actor: bed.actor('owner'), actionId: first.actionId }),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 })
    expect((await taskById(task.id))?.title).toBe('Second title')
  })

  it('refuses past due dates, no-ops, empty changes and unknown or foreign ids, writing nothing', async () => {
    const task = await pickTask((candidate) => candidate.status === 'todo')
    const foreign = (
      await inTenant((tenant) => findRecords(tenant, { kind: 'task', where: {}, limit: 1 }), other)
    )[0]!
    const past = new Date(start.getTime() - 2 * dayMs).toISOString()
    await expect(run('update_task', { taskId: task.id, dueAt: past })).rejects.toMatchObject({
      code: 'validation_failed',
    })
    await expect(run('update_task', { taskId: task.id, status: 'todo' })).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('nothing changed'),
    })
    await expect(run('update_task', { taskId: task.id })).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(run('update_task', { taskId: task.id, status: 'blocked' })).rejects.toMatchObject({
      code: 'validation_failed',
    })
    await expect(run('update_task', { taskId: foreign.id, title: 'Mine now' })).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(run('update_task', { taskId: 'not-a-uuid', title: 'x' })).rejects.toMatchObject({
      code: 'validation_failed',
    })
    expect(await taskById(task.id)).toEqual(task)
    expect(await inTenant((tenant) => findRecord(tenant, { kind: 'task', id: foreign.id }), other)).toEqual(
      foreign,
    )
  })
})

describe('complete_task', () => {
  it('marks an open task done now, and undo reopens it', async () => {
    const task = await pickTask((candidate) => candidate.status === 'in_progress')
    bed.clock.advance(60 * 60 * 1000)
    try {
      const outcome = await run('complete_task', { taskId: task.id })
      expect(outcome.summary).toBe(`Complete task '${task.title}'`)
      const stored = await taskById(task.id)
      expect(stored?.status).toBe('done')
      expect((stored!.completedAt as Date).toISOString()).toBe(bed.clock.now().toISOString())
      await bed.service.undo({ actor: bed.actor('owner'), actionId: outcome.actionId })
      expect(await taskById(task.id)).toMatchObject({ status: 'in_progress', completedAt: null })
    } finally {
      bed.clock.set(start)
    }
  })

  it('refuses a task that is already done, and ids of another workspace', async () => {
    const done = await pickTask((candidate) => candidate.status === 'done')
    await expect(run('complete_task', { taskId: done.id })).rejects.toMatchObject({
      code: 'validation_failed',
      message: `Task '${done.title}' is already done.`,
    })
    expect(await taskById(done.id)).toEqual(done)
    const foreign = (
      await inTenant((tenant) => findRecords(tenant, { kind: 'task', where: { status: 'todo' } }), other)
    )[0]!
    await expect(run('complete_task', { taskId: foreign.id })).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('assign_task', () => {
  it('assigns by email and names the assignee; undo gives it back', async () => {
    const task = await pickTask(
      (candidate) => isOpen(candidate) && candidate.assigneeId !== bed.members.member2.userId,
    )
    const outcome = await run('assign_task', { taskId: task.id, assignee: bed.members.member2.email })
    expect(outcome.summary).toBe(`Assign task '${task.title}' to Diego Alvarez`)
    expect((outcome.result as { assignee: { name: string } }).assignee.name).toBe('Diego Alvarez')
    expect((await taskById(task.id))?.assigneeId).toBe(bed.members.member2.userId)
    await bed.service.undo({ actor: bed.actor('owner'), actionId: outcome.actionId })
    expect((await taskById(task.id))?.assigneeId).toBe(task.assigneeId)
  })

  it('assigns to "me" by id too, and refuses a task already theirs', async () => {
    const task = await pickTask(
      (candidate) => isOpen(candidate) && candidate.assigneeId !== bed.members.owner.userId,
    )
    const outcome = await run('assign_task', { taskId: task.id, assignee: 'me' })
    expect(outcome.summary).toBe(`Assign task '${task.title}' to Olivia Bennett`)
    await expect(
      run('assign_task', { taskId: task.id, assignee: bed.members.owner.userId }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('already assigned'),
    })
  })

  it('refuses viewers, strangers and members of another workspace only', async () => {
    const task = await pickTask(isOpen)
    const outsider = await testDatabase.database.withSystem((system) =>
      addMember(system, { workspaceId: other.workspaceId, email: 'outsider@other.example', role: 'member' }),
    )
    await expect(
      run('assign_task', { taskId: task.id, assignee: bed.members.viewer.userId }),
    ).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(run('assign_task', { taskId: task.id, assignee: outsider.userId })).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(
      run('assign_task', { taskId: task.id, assignee: 'nobody@nowhere.example' }),
    ).rejects.toMatchObject({ code: 'not_found' })
    expect(await taskById(task.id)).toEqual(task)
  })
})

describe('delete_task', () => {
  it('deletes a task, and undo restores it exactly', async () => {
    const task = await pickTask((candidate) => candidate.status === 'todo' && candidate.dealId !== null)
    const before = await countTasks()
    const outcome = await run('delete_task', { taskId: task.id })
    expect(outcome.summary).toBe(`Delete task '${task.title}'`)
    expect(await taskById(task.id)).toBeUndefined()
    expect(await countTasks()).toBe(before - 1)

    await bed.service.undo({ actor: bed.actor('owner'), actionId: outcome.actionId })
    const restored = await taskById(task.id)
    const { updatedAt: _updatedAt, ...unchanged } = task
    expect(restored).toMatchObject(unchanged)
    expect(await countTasks()).toBe(before)
  })

  it('waits for approval when a member asks, and runs once approved', async () => {
    const task = await pickTask(isOpen)
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'delete_task',
      input: { taskId: task.id },
    })
    expect(pending).toMatchObject({ status: 'pending', summary: `Delete task '${task.title}'` })
    expect(await taskById(task.id)).toBeDefined()
    await bed.service.approve({ actor: bed.actor('admin'), actionId: pending.actionId })
    expect(await taskById(task.id)).toBeUndefined()
  })

  it('treats another workspace task as not found', async () => {
    const foreign = (
      await inTenant((tenant) => findRecords(tenant, { kind: 'task', where: {}, limit: 1 }), other)
    )[0]!
    await expect(run('delete_task', { taskId: foreign.id })).rejects.toMatchObject({ code: 'not_found' })
    expect(await inTenant((tenant) => findRecord(tenant, { kind: 'task', id: foreign.id }), other)).toEqual(
      foreign,
    )
  })
})
