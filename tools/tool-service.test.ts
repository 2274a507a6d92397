import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { AppError, createInProcessEventBus, createLogger } from '../core/index.ts'
import { type ActionHistoryRecord, findRecords, listRecords } from '../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts'
import { createToolTestbed, type ToolTestbed } from '../test/support/tool-fixtures.ts'
import { allTools } from './registry.ts'
import { defineTool, type ToolDefinition } from './tool-definition.ts'
import { createToolService } from './tool-service.ts'

let testDatabase: TestDatabase
let bed: ToolTestbed

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  bed = await createToolTestbed({ database: testDatabase.database })
})

afterAll(async () => {
  await testDatabase?.close()
})

const taskTitles = async (workspaceId: string, title: string) =>
  testDatabase.database.withTenant({ workspaceId }, (tenant) =>
    findRecords(tenant, { kind: 'task', where: { title } }),
  )

/** Action history entries with a status, newest first (as the given role sees them). */
const historyRows = async (role: Parameters<ToolTestbed['actor']>[0], status: string) =>
  (await bed.service.listActions({ actor: bed.actor(role), status, limit: 100, offset: 0 }))
    .rows as ActionHistoryRecord[]

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

describe('invoking tools through the policy', () => {
  it('runs a read tool at once and records it', async () => {
    const outcome = await bed.service.invoke({
      actor: bed.actor('viewer'),
      name: 'search_contacts',
      input: { limit: 3 },
    })
    expect(outcome.status).toBe('executed')
    const history = await bed.service.listActions({
      actor: bed.actor('viewer'),
      status: 'executed',
      limit: 5,
      offset: 0,
    })
    expect(history.rows.some((row) => row.id === outcome.actionId && row.tool === 'search_contacts')).toBe(
      true,
    )
  })

  it('makes a write wait as a pending action with a human summary, changing nothing yet', async () => {
    const before = bed.events.length
    const outcome = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'create_task',
      input: { title: 'Send the MSA to Initech', dueAt: '2026-03-06T17:00:00Z', priority: 'high' },
    })
    expect(outcome).toMatchObject({
      status: 'pending',
      summary: "Create high task 'Send the MSA to Initech' due Mar 6, 2026",
    })
    expect(await taskTitles(bed.workspaceId, 'Send the MSA to Initech')).toHaveLength(0)
    expect(bed.events.slice(before)).toEqual([
      expect.objectContaining({ type: 'action.pending', actionId: outcome.actionId, tool: 'create_task' }),
    ])
  })

  it("refuses a viewer's write with 403 and records the denial", async () => {
    const refused = await failure(
      bed.service.invoke({ actor: bed.actor('viewer'), name: 'create_task', input: { title: 'Sneaky' } }),
    )
    expect(refused.status).toBe(403)
    expect(refused.message).toMatch(/Viewers/)
    const denied = await historyRows('owner', 'denied')
    expect(
      denied.some((row) => row.tool === 'create_task' && row.actorUserId === bed.members.viewer.userId),
    ).toBe(true)
  })

  it('rejects invalid input with a 400 that names the field, and unknown tools with a 404', async () => {
    const invalid = await failure(
      bed.service.invoke({
        actor: bed.actor('owner'),
        name: 'create_task',
        input: { title: '', priority: 'whenever' },
      }),
    )
    expect(invalid.status).toBe(400)
    expect(invalid.message).toMatch(/title/)
    expect(invalid.message).toMatch(/priority/)
    expect(
      (await failure(bed.service.invoke({ actor: bed.actor('owner'), name: 'launch_rockets', input: {} })))
        .status,
    ).toBe(404)
  })

  it('records a failed execution and leaves nothing half-written', async () => {
    await bed.service.setAutonomy({
      actor: bed.actor('owner'),
      settings: [{ scopeType: 'tool', scope: 'update_deal', mode: 'auto' }],
    })
    const deal = (
      await testDatabase.database.withTenant({ workspaceId: bed.workspaceId }, (tenant) =>
        listRecords(tenant, { kind: 'deals', limit: 1, offset: 0 }),
      )
    ).data[0]!
    const noChange = await failure(
      bed.service.invoke({
        actor: bed.actor('owner'),
        name: 'update_deal',
        input: { dealId: deal.id, stage: deal.stage },
      }),
    )
    expect(noChange.status).toBe(400)
    const failed = await bed.service.listActions({
      actor: bed.actor('owner'),
      status: 'failed',
      limit: 10,
      offset: 0,
    })
    expect(failed.rows[0]).toMatchObject({ tool: 'update_deal', status: 'failed' })
    expect(failed.rows[0]!.error).toMatch(/nothing changed/)
  })
})

describe('deciding pending actions', () => {
  it('executes exactly once under ten concurrent approvals; the others get 409', async () => {
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'create_task',
      input: { title: 'Exactly once' },
    })
    const approvers = [
      'member',
      'admin',
      'owner',
      'member',
      'admin',
      'owner',
      'member',
      'admin',
      'owner',
      'member',
    ] as const
    const results = await Promise.allSettled(
      approvers.map((role) => bed.service.approve({ actor: bed.actor(role), actionId: pending.actionId })),
    )
    const executed = results.filter((result) => result.status === 'fulfilled')
    const refused = results.filter((result) => result.status === 'rejected')
    expect(executed).toHaveLength(1)
    expect(refused).toHaveLength(9)
    for (const result of refused) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ status: 409 })
      expect((result as PromiseRejectedResult).reason.message).toMatch(/already approved by \w+/)
    }
    expect(await taskTitles(bed.workspaceId, 'Exactly once')).toHaveLength(1)
    const history = await historyRows('owner', 'executed')
    expect(history.filter((row) => row.pendingActionId === pending.actionId)).toHaveLength(1)
  })

  it("records the approved change as the requester's, with the approver on the action", async () => {
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'create_task',
      input: { title: 'Approved by admin' },
    })
    const approved = await bed.service.approve({ actor: bed.actor('admin'), actionId: pending.actionId })
    const [task] = await taskTitles(bed.workspaceId, 'Approved by admin')
    expect(task).toMatchObject({
      assigneeId: bed.members.member.userId,
      createdById: bed.members.member.userId,
    })
    expect(bed.events.at(-1)).toMatchObject({
      type: 'action.updated',
      actionId: pending.actionId,
      status: 'executed',
      decidedById: bed.members.admin.userId,
      historyId: approved.historyId,
    })
  })

  it('lets only the requester or an admin decide, never a viewer or another member', async () => {
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'create_task',
      input: { title: 'Mine to decide' },
    })
    expect(
      (await failure(bed.service.approve({ actor: bed.actor('member2'), actionId: pending.actionId })))
        .status,
    ).toBe(403)
    expect(
      (await failure(bed.service.reject({ actor: bed.actor('viewer'), actionId: pending.actionId }))).status,
    ).toBe(403)
    const rejected = await bed.service.reject({
      actor: bed.actor('member'),
      actionId: pending.actionId,
      reason: 'not now',
    })
    expect(rejected.status).toBe('rejected')
    const again = await failure(
      bed.service.approve({ actor: bed.actor('admin'), actionId: pending.actionId }),
    )
    expect(again.status).toBe(409)
    expect(again.message).toMatch(/already rejected by/)
    expect(await taskTitles(bed.workspaceId, 'Mine to decide')).toHaveLength(0)
  })

  it('cannot approve an expired action; it is marked expired and recorded', async () => {
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'create_task',
      input: { title: 'Too late' },
    })
    bed.clock.advance(73 * 60 * 60 * 1000)
    try {
      const expired = await failure(
        bed.service.approve({ actor: bed.actor('member'), actionId: pending.actionId }),
      )
      expect(expired).toMatchObject({ status: 409, code: 'expired' })
      const listed = await historyRows('member', 'expired')
      expect(listed.some((row) => row.pendingActionId === pending.actionId)).toBe(true)
      expect(await taskTitles(bed.workspaceId, 'Too late')).toHaveLength(0)
    } finally {
      bed.clock.advance(-73 * 60 * 60 * 1000)
    }
  })

  it('marks an approval that fails as failed, with the error, and lets nobody run it again', async () => {
    const deal = (
      await testDatabase.database.withTenant({ workspaceId: bed.workspaceId }, (tenant) =>
        listRecords(tenant, { kind: 'deals', filters: { stage: 'proposal' }, limit: 1, offset: 0 }),
      )
    ).data[0]!
    const pending = await bed.service.invoke({
      actor: bed.actor('member'),
      name: 'update_deal',
      input: { dealId: deal.id, valueCents: 4_200_000 },
    })
    expect(pending.status).toBe('pending')
    await testDatabase.database.withTenant({ workspaceId: bed.workspaceId }, ({ sequelize, transaction }) =>
      sequelize.query('DELETE FROM deals WHERE id = :id', { replacements: { id: deal.id }, transaction }),
    )
    const failed = await failure(
      bed.service.approve({ actor: bed.actor('member'), actionId: pending.actionId }),
    )
    expect(failed.status).toBe(404)
    const again = await failure(
      bed.service.approve({ actor: bed.actor('admin'), actionId: pending.actionId }),
    )
    expect(again.message).toMatch(/already approved by .* and failed/)
  })
})

describe('undo', () => {
  it('undoes a create, once', async () => {
    await bed.service.setAutonomy({
      actor: bed.actor('member2'),
      settings: [{ scopeType: 'tool', scope: 'create_task', mode: 'auto' }],
    })
    const created = await bed.service.invoke({
      actor: bed.actor('member2'),
      name: 'create_task',
      input: { title: 'Undo me' },
    })
    expect(created.status).toBe('executed')
    expect(await taskTitles(bed.workspaceId, 'Undo me')).toHaveLength(1)
    const undone = await bed.service.undo({ actor: bed.actor('member2'), actionId: created.actionId })
    expect(undone.summary).toBe("Undid: Created task 'Undo me'")
    expect(await taskTitles(bed.workspaceId, 'Undo me')).toHaveLength(0)
    expect(
      (await failure(bed.service.undo({ actor: bed.actor('member2'), actionId: created.actionId }))).message,
    ).toMatch(/already been undone/)
  })

  it('refuses to remove a created record someone changed since, and removes nothing', async () => {
    const created = await bed.service.invoke({
      actor: bed.actor('member2'),
      name: 'create_task',
      input: { title: 'Edited later' },
    })
    const [task] = await taskTitles(bed.workspaceId, 'Edited later')
    await testDatabase.database.withTenant({ workspaceId: bed.workspaceId }, ({ sequelize, transaction }) =>
      sequelize.query("UPDATE tasks SET priority = 'urgent' WHERE id = :id", {
        replacements: { id: task!.id },
        transaction,
      }),
    )
    const refused = await failure(
      bed.service.undo({ actor: bed.actor('member2'), actionId: created.actionId }),
    )
    expect(refused.status).toBe(409)
    expect(refused.message).toMatch(/changed after the action created it/)
    expect(await taskTitles(bed.workspaceId, 'Edited later')).toHaveLength(1)
  })

  it('restores an update, or answers 409 naming what changed since', async () => {
    const deals = (
      await testDatabase.database.withTenant({ workspaceId: bed.workspaceId }, (tenant) =>
        listRecords(tenant, { kind: 'deals', filters: { stage: 'negotiation' }, limit: 2, offset: 0 }),
      )
    ).data
    const [first, second] = deals as { id: string; valueCents: number }[]
    const changed = await bed.service.invoke({
      actor: bed.actor('owner'),
      name: 'update_deal',
      input: { dealId: first!.id, valueCents: first!.valueCents + 100 },
    })
    await bed.service.undo({ actor: bed.actor('owner'), actionId: changed.actionId })
    const restored = await testDatabase.database.withTenant({ workspaceId: bed.workspaceId }, (tenant) =>
      findRecords(tenant, { kind: 'deal', where: { id: first!.id } }),
    )
    expect(restored[0]!.valueCents).toBe(first!.valueCents)

    const moved = await bed.service.invoke({
      actor: bed.actor('owner'),
      name: 'update_deal',
      input: { dealId: second!.id, valueCents: 1_000_000 },
    })
    await bed.service.invoke({
      actor: bed.actor('owner'),
      name: 'update_deal',
      input: { dealId: second!.id, valueCents: 2_000_000 },
    })
    const conflict = await failure(bed.service.undo({ actor: bed.actor('owner'), actionId: moved.actionId }))
    expect(conflict.status).toBe(409)
    expect(conflict.message).toMatch(/changed since \(valueCents\)/)
    expect(conflict.details?.changed).toEqual([
      { field: 'valueCents', expected: 1_000_000, actual: 2_000_000 },
    ])
  })

  it('lets only the member who ran it or an admin undo, never a viewer', async () => {
    const created = await bed.service.invoke({
      actor: bed.actor('member2'),
      name: 'create_task',
      input: { title: 'Not yours' },
    })
    expect(
      (await failure(bed.service.undo({ actor: bed.actor('member'), actionId: created.actionId }))).status,
    ).toBe(403)
    expect(
      (await failure(bed.service.undo({ actor: bed.actor('viewer'), actionId: created.actionId }))).status,
    ).toBe(403)
    expect((await bed.service.undo({ actor: bed.actor('admin'), actionId: created.actionId })).status).toBe(
      'undone',
    )
  })

  it('keeps the history append-only: the app role cannot rewrite or delete it', async () => {
    for (const statement of ["UPDATE action_history SET status = 'failed'", 'DELETE FROM action_history']) {
      await expect(
        testDatabase.database.withTenant({ workspaceId: bed.workspaceId }, ({ sequelize, transaction }) =>
          sequelize.query(statement, { transaction }),
        ),
      ).rejects.toThrow(/permission denied/)
    }
  })
})

describe('autonomy settings and learning', () => {
  const purge: ToolDefinition = defineTool({
    name: 'purge_everything',
    category: 'crm',
    risk: 'destructive',
    description: 'A destructive test tool.',
    inputSchema: z.object({}),
    summarize: () => 'Purge everything',
    execute: async () => ({ result: {}, resultSummary: 'Purged nothing' }),
  }) as ToolDefinition

  it('suggests auto after five approvals in a row of a write tool, and forgets after a rejection', async () => {
    const learner = await createToolTestbed({ database: testDatabase.database, slug: 'learner' })
    const approveOnce = async (title: string) => {
      const pending = await learner.service.invoke({
        actor: learner.actor('member'),
        name: 'create_task',
        input: { title },
      })
      await learner.service.approve({ actor: learner.actor('member'), actionId: pending.actionId })
    }
    for (let index = 0; index < 4; index += 1) await approveOnce(`Learn ${index}`)
    expect((await learner.service.getAutonomy({ actor: learner.actor('member') })).suggestions).toEqual([])
    await approveOnce('Learn 4')
    expect((await learner.service.getAutonomy({ actor: learner.actor('member') })).suggestions).toEqual([
      expect.objectContaining({ tool: 'create_task', suggestedMode: 'auto' }),
    ])
    const pending = await learner.service.invoke({
      actor: learner.actor('member'),
      name: 'create_task',
      input: { title: 'No' },
    })
    await learner.service.reject({ actor: learner.actor('member'), actionId: pending.actionId })
    expect((await learner.service.getAutonomy({ actor: learner.actor('member') })).suggestions).toEqual([])
  })

  it('never suggests auto for a destructive tool, however often it was approved', async () => {
    const learner = await createToolTestbed({ database: testDatabase.database, slug: 'learner-destructive' })
    const service = createToolService({
      database: testDatabase.database,
      tools: [...allTools, purge],
      clock: learner.clock,
      bus: createInProcessEventBus(),
      logger: createLogger({ level: 'silent' }),
    })
    for (let index = 0; index < 6; index += 1) {
      const pending = await service.invoke({
        actor: learner.actor('owner'),
        name: 'purge_everything',
        input: {},
      })
      await service.approve({ actor: learner.actor('owner'), actionId: pending.actionId })
    }
    const autonomy = await service.getAutonomy({ actor: learner.actor('owner') })
    expect(autonomy.suggestions).toEqual([])
    expect(autonomy.effective.purge_everything).toMatchObject({ mode: 'ask' })
  })

  it('keeps workspace defaults to owners and admins, and validates scopes', async () => {
    const setting = [{ scopeType: 'category' as const, scope: 'tasks', mode: 'auto' as const }]
    expect(
      (
        await failure(
          bed.service.setAutonomy({ actor: bed.actor('member'), settings: setting, workspace: true }),
        )
      ).status,
    ).toBe(403)
    expect(
      (await failure(bed.service.setAutonomy({ actor: bed.actor('viewer'), settings: setting }))).status,
    ).toBe(403)
    const unknown = await failure(
      bed.service.setAutonomy({
        actor: bed.actor('owner'),
        settings: [{ scopeType: 'tool', scope: 'no_such_tool', mode: 'auto' }],
      }),
    )
    expect(unknown.status).toBe(400)
    const result = await bed.service.setAutonomy({
      actor: bed.actor('admin'),
      settings: setting,
      workspace: true,
    })
    expect(result.workspaceDefaults).toContainEqual({ scopeType: 'category', scope: 'tasks', mode: 'auto' })
    const forMember = await bed.service.getAutonomy({ actor: bed.actor('member') })
    expect(forMember.effective.create_task).toMatchObject({ mode: 'auto', rule: 'workspace-default' })
    await bed.service.setAutonomy({
      actor: bed.actor('admin'),
      settings: [{ ...setting[0]!, mode: null }],
      workspace: true,
    })
    expect(
      (await bed.service.getAutonomy({ actor: bed.actor('member') })).effective.create_task,
    ).toMatchObject({ mode: 'ask' })
  })
})
