import { createHash } from 'node:crypto'
import { z } from 'zod'
import { AppError, type Clock, type EventBus, isAppError, type Logger } from '../core/index.ts'
import {
  type ActionChannel,
  type ActionHistoryRecord,
  type ActionHistoryStatus,
  type AutonomyMode,
  type AutonomyScopeType,
  claimPendingAction,
  countConsecutiveApprovals,
  createPendingAction,
  type Database,
  expirePendingActions,
  findActionHistory,
  findPendingAction,
  finishPendingAction,
  listActionHistory,
  listAutonomyPreferences,
  listPendingActions,
  type MemberRole,
  type PendingActionRecord,
  recordActionHistory,
  setAutonomyPreference,
  type TenantTransaction,
} from '../db/index.ts'
import { applyUndo } from './apply-undo.ts'
import { type AutonomyDecision, resolveAutonomy } from './autonomy-policy.ts'
import type { ToolContext, ToolDefinition, UndoState } from './tool-definition.ts'

/** Who is acting, from which channel; every tool call and decision carries one. */
export interface Actor {
  workspaceId: string
  userId: string
  role: MemberRole
  channel: ActionChannel
  conversationId?: string | undefined
  messageId?: string | undefined
  /** The model's tool call (assistant turns): a pending action remembers it to resume the chat. */
  toolCallId?: string | undefined
}

export type InvokeResult =
  | { status: 'executed'; actionId: string; result: unknown; summary: string }
  | { status: 'pending'; actionId: string; summary: string; expiresAt: Date }

export interface ToolServiceOptions {
  database: Database
  tools: readonly ToolDefinition[]
  clock: Clock
  bus: EventBus
  logger: Logger
  /** How long a pending action waits for a decision (default 72 h). */
  pendingTtlMs?: number
  /** Consecutive approvals of a write tool before suggesting `auto` (default 5). */
  suggestAfterApprovals?: number
}

const adminRoles: readonly MemberRole[] = ['owner', 'admin']

/**
 * The one path every tool call takes, from any channel: validate, prepare, check the autonomy
 * policy, then run (recorded in the action history) or wait as a pending action that any channel
 * may approve later. Decisions, undo and autonomy settings live here too.
 */
export function createToolService({
  database,
  tools,
  clock,
  bus,
  logger,
  pendingTtlMs = 72 * 60 * 60 * 1000,
  suggestAfterApprovals = 5,
}: ToolServiceOptions) {
  const toolsByName = new Map(tools.map((tool) => [tool.name, tool]))

  const requireTool = (name: string): ToolDefinition => {
    const tool = toolsByName.get(name)
    if (!tool) throw new AppError('not_found', { message: `No tool named "${name}".` })
    return tool
  }
  const contextFor = (tenant: TenantTransaction, actor: Actor): ToolContext => ({
    tenant,
    actor: { userId: actor.userId },
    clock,
  })
  const tenantOf = (actor: Actor) => ({ workspaceId: actor.workspaceId, userId: actor.userId })
  const publish = (event: Record<string, unknown> & { type: string; workspaceId: string }) =>
    bus
      .publish(event)
      .catch((error: unknown) => logger.warn({ err: error, event: event.type }, 'event not published'))

  async function decide(
    tenant: TenantTransaction,
    actor: Actor,
    tool: ToolDefinition,
  ): Promise<AutonomyDecision> {
    const preferences = await listAutonomyPreferences(tenant, { userId: actor.userId })
    return resolveAutonomy({
      tool,
      role: actor.role,
      userId: actor.userId,
      preferences: preferences.map((preference) => ({
        userId: preference.userId,
        scopeType: preference.scopeType as AutonomyScopeType,
        scope: preference.scope,
        mode: preference.mode as AutonomyMode,
      })),
    })
  }

  /** Runs the tool and records it, in one transaction; a failure is recorded in its own transaction. */
  async function execute({
    actor,
    tool,
    input,
    pendingActionId,
    decidedById,
  }: {
    actor: Actor
    tool: ToolDefinition
    input: Record<string, unknown>
    /** Set when running an approved pending action: its id and who approved it. */
    pendingActionId?: string
    decidedById?: string
  }): Promise<{ history: ActionHistoryRecord; result: unknown }> {
    const started = performance.now()
    const claimForExecution = (tenant: TenantTransaction) =>
      claimPendingAction(tenant, {
        id: pendingActionId!,
        status: 'executing',
        decidedById: decidedById ?? actor.userId,
        now: clock.now(),
      })
    try {
      return await database.withTenant(tenantOf(actor), async (tenant) => {
        if (pendingActionId && !(await claimForExecution(tenant))) {
          throw await alreadyDecided(tenant, pendingActionId)
        }
        const outcome = await tool.execute(contextFor(tenant, actor), input)
        const history = await recordActionHistory(tenant, {
          actorUserId: actor.userId,
          tool: tool.name,
          risk: tool.risk,
          input,
          status: 'executed',
          resultSummary: outcome.resultSummary,
          result: outcome.result,
          durationMs: Math.round(performance.now() - started),
          channel: actor.channel,
          conversationId: actor.conversationId,
          pendingActionId: pendingActionId ?? null,
          undoState: outcome.undo ?? null,
        })
        if (pendingActionId) {
          await finishPendingAction(tenant, {
            id: pendingActionId,
            status: 'executed',
            result: outcome.result,
          })
        }
        return { history, result: outcome.result }
      })
    } catch (error) {
      if (
        isAppError(error) &&
        (error.code === 'conflict' || error.code === 'expired') &&
        error.details?.decided
      ) {
        throw error
      }
      const message =
        isAppError(error) && error.status < 500 ? error.message : 'The tool failed unexpectedly.'
      if (!isAppError(error) || error.status >= 500)
        logger.error({ err: error, tool: tool.name }, 'tool failed')
      await database
        .withTenant(tenantOf(actor), async (tenant) => {
          if (pendingActionId) {
            // Claimed again: the failed attempt's claim was rolled back with everything else.
            if (!(await claimForExecution(tenant))) return
            await finishPendingAction(tenant, { id: pendingActionId, status: 'failed', error: message })
          }
          await recordActionHistory(tenant, {
            actorUserId: actor.userId,
            tool: tool.name,
            risk: tool.risk,
            input,
            status: 'failed',
            error: message,
            durationMs: Math.round(performance.now() - started),
            channel: actor.channel,
            conversationId: actor.conversationId,
            pendingActionId: pendingActionId ?? null,
          })
        })
        .catch((recordError: unknown) =>
          logger.error({ err: recordError }, 'could not record a failed action'),
        )
      if (pendingActionId) {
        void publish({
          type: 'action.updated',
          workspaceId: actor.workspaceId,
          actionId: pendingActionId,
          status: 'failed',
          tool: tool.name,
        })
      }
      throw error
    }
  }

  async function alreadyDecided(tenant: TenantTransaction, id: string): Promise<AppError> {
    const action = await findPendingAction(tenant, { id })
    if (!action) return new AppError('not_found', { message: `No action with id ${id}.` })
    if (action.status === 'pending') {
      return new AppError('expired', {
        message: 'This action expired before it was decided; ask again.',
        details: { decided: true, status: 'expired' },
      })
    }
    const [decider] = action.decidedById
      ? (
          (await tenant.sequelize.query('SELECT name FROM users WHERE id = :id', {
            replacements: { id: action.decidedById },
            transaction: tenant.transaction,
          })) as [{ name: string }[], unknown]
        )[0]
      : []
    const by = decider ? ` by ${decider.name}` : ''
    const described: Record<string, string> = {
      executing: `approved${by}`,
      executed: `approved${by}`,
      approved: `approved${by}`,
      failed: `approved${by} and failed`,
      rejected: `rejected${by}`,
      expired: 'expired',
    }
    return new AppError(action.status === 'expired' ? 'expired' : 'conflict', {
      message: `This action was already ${described[action.status] ?? action.status}.`,
      details: { decided: true, status: action.status, decidedBy: action.decidedById },
    })
  }

  /** Decides who may approve or reject: the requester or an owner/admin; never a viewer. */
  function authorizeDecision(actor: Actor, action: PendingActionRecord): void {
    if (actor.role === 'viewer') {
      throw new AppError('forbidden', { message: 'Viewers cannot approve or reject actions.' })
    }
    if (action.requestedById !== actor.userId && !adminRoles.includes(actor.role)) {
      throw new AppError('forbidden', {
        message: 'Only the member who asked for this action, or an admin, can decide it.',
      })
    }
  }

  /** Loads a pending action for a decision, expiring it first when its time has passed. */
  async function loadForDecision(
    actor: Actor,
    id: string,
  ): Promise<{ action: PendingActionRecord; tool: ToolDefinition }> {
    const now = clock.now()
    const { action, justExpired } = await database.withTenant(tenantOf(actor), async (tenant) => {
      const found = await findPendingAction(tenant, { id })
      if (!found) throw new AppError('not_found', { message: `No pending action with id ${id}.` })
      authorizeDecision(actor, found)
      if (found.status === 'pending' && found.expiresAt.getTime() <= now.getTime()) {
        const expired = await expirePendingActions(tenant, { now, ids: [id] })
        if (expired.length === 1) {
          await recordActionHistory(tenant, {
            actorUserId: found.requestedById,
            tool: found.tool,
            risk: found.risk as ToolDefinition['risk'],
            input: found.input,
            status: 'expired',
            resultSummary: found.summary,
            channel: found.channel as ActionChannel,
            conversationId: found.conversationId,
            pendingActionId: found.id,
          })
          return { action: { ...found, status: 'expired' }, justExpired: true }
        }
      }
      return { action: found, justExpired: false }
    })
    if (justExpired) {
      void publish({
        type: 'action.updated',
        workspaceId: actor.workspaceId,
        actionId: id,
        status: 'expired',
        tool: action.tool,
        requestedById: action.requestedById,
      })
    }
    if (action.status === 'expired') {
      throw new AppError('expired', { message: 'This action expired before it was decided; ask again.' })
    }
    return { action, tool: requireTool(action.tool) }
  }

  /** Validates input against a tool's schema; a 400 naming each bad field. */
  function parseInput(tool: ToolDefinition, input: unknown): Record<string, unknown> {
    const result = tool.inputSchema.safeParse(input ?? {})
    if (result.success) return result.data
    throw new AppError('validation_failed', {
      message: `Invalid input for ${tool.name}: ${result.error.issues
        .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
        .join('; ')}.`,
      details: {
        issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      },
    })
  }

  /** The member's settings, the workspace defaults, effective policies and suggestions. */
  async function getAutonomy({ actor }: { actor: Actor }) {
    return database.withTenant(tenantOf(actor), async (tenant) => {
      const preferences = await listAutonomyPreferences(tenant, { userId: actor.userId })
      const writeTools = tools.filter((tool) => tool.risk === 'write').map((tool) => tool.name)
      const streaks = await countConsecutiveApprovals(tenant, { userId: actor.userId, tools: writeTools })
      const suggestions = []
      const effective: Record<string, AutonomyDecision> = {}
      for (const tool of tools) {
        const decision = await decide(tenant, actor, tool)
        effective[tool.name] = decision
        const streak = streaks[tool.name] ?? 0
        // Learning: only plain writes are ever suggested; never bulk, external or destructive.
        if (tool.risk === 'write' && decision.mode === 'ask' && streak >= suggestAfterApprovals) {
          suggestions.push({
            tool: tool.name,
            suggestedMode: 'auto' as const,
            reason: `You approved ${tool.name} ${streak} times in a row without rejecting it.`,
          })
        }
      }
      const toEntry = (preference: (typeof preferences)[number]) => ({
        scopeType: preference.scopeType,
        scope: preference.scope,
        mode: preference.mode,
      })
      return {
        preferences: preferences.filter((preference) => preference.userId !== null).map(toEntry),
        workspaceDefaults: preferences.filter((preference) => preference.userId === null).map(toEntry),
        effective,
        suggestions,
      }
    })
  }

  return {
    tools,
    parseInput,

    /**
     * What the policy would do with a call of `name` by the actor right now (auto / ask / off),
     * without preparing or recording anything. The assistant asks before a call so the model's
     * stream can show an approval request; `invoke` decides again when it runs.
     */
    async previewDecision({ actor, name }: { actor: Actor; name: string }): Promise<AutonomyDecision> {
      const tool = requireTool(name)
      return database.withTenant(tenantOf(actor), (tenant) => decide(tenant, actor, tool))
    },

    /** Runs a tool as the actor through the policy: executed, pending, or refused (403). */
    async invoke({
      actor,
      name,
      input,
    }: {
      actor: Actor
      name: string
      input: unknown
    }): Promise<InvokeResult> {
      const tool = requireTool(name)
      const parsed = parseInput(tool, input)
      const planned = await database.withTenant(tenantOf(actor), async (tenant) => {
        const decision = await decide(tenant, actor, tool)
        if (decision.mode === 'off') {
          await recordActionHistory(tenant, {
            actorUserId: actor.userId,
            tool: tool.name,
            risk: tool.risk,
            input: parsed,
            status: 'denied',
            error: decision.reason,
            channel: actor.channel,
            conversationId: actor.conversationId,
          })
          return { decision }
        }
        const context = contextFor(tenant, actor)
        const prepared = tool.prepare ? await tool.prepare(context, parsed) : { input: parsed, facts: {} }
        const summary = tool.summarize(prepared.input, prepared.facts)
        if (decision.mode === 'auto') return { decision, prepared, summary }
        const action = await createPendingAction(tenant, {
          tool: tool.name,
          input: prepared.input,
          inputHash: hashInput(tool.name, prepared.input),
          summary,
          risk: tool.risk,
          requestedById: actor.userId,
          channel: actor.channel,
          conversationId: actor.conversationId,
          messageId: actor.messageId,
          toolCallId: actor.toolCallId,
          expiresAt: new Date(clock.now().getTime() + pendingTtlMs),
        })
        return { decision, prepared, summary, action }
      })
      if (planned.decision.mode === 'off') {
        throw new AppError('forbidden', {
          message: planned.decision.reason,
          details: { rule: planned.decision.rule },
        })
      }
      if (planned.action) {
        void publish({
          type: 'action.pending',
          workspaceId: actor.workspaceId,
          actionId: planned.action.id,
          tool: tool.name,
          summary: planned.summary,
          requestedById: actor.userId,
          channel: actor.channel,
          conversationId: actor.conversationId ?? null,
        })
        return {
          status: 'pending',
          actionId: planned.action.id,
          summary: planned.summary,
          expiresAt: planned.action.expiresAt,
        }
      }
      const { history, result } = await execute({ actor, tool, input: planned.prepared!.input })
      return { status: 'executed', actionId: history.id, result, summary: planned.summary! }
    },

    /** Approves a pending action: runs it exactly once, records it, tells every channel. */
    async approve({ actor, actionId }: { actor: Actor; actionId: string }) {
      const { action, tool } = await loadForDecision(actor, actionId)
      if (action.status !== 'pending') {
        throw await database.withTenant(tenantOf(actor), (tenant) => alreadyDecided(tenant, actionId))
      }
      // The change is the requester's, made when the approver said yes: it runs and is recorded as
      // the requester's call (from the channel they asked in); the pending action keeps the approver.
      const requester: Actor = {
        ...actor,
        userId: action.requestedById ?? actor.userId,
        channel: action.channel as ActionChannel,
        conversationId: action.conversationId ?? undefined,
      }
      const { history, result } = await execute({
        actor: requester,
        tool,
        input: action.input,
        pendingActionId: actionId,
        decidedById: actor.userId,
      })
      void publish({
        type: 'action.updated',
        workspaceId: actor.workspaceId,
        actionId,
        historyId: history.id,
        status: 'executed',
        tool: tool.name,
        decidedById: actor.userId,
        requestedById: action.requestedById,
        summary: action.summary,
      })
      return { status: 'executed' as const, actionId, historyId: history.id, result, summary: action.summary }
    },

    /** Rejects a pending action (exactly once) and records the rejection. */
    async reject({
      actor,
      actionId,
      reason,
    }: {
      actor: Actor
      actionId: string
      reason?: string | undefined
    }) {
      const { action } = await loadForDecision(actor, actionId)
      await database.withTenant(tenantOf(actor), async (tenant) => {
        const claimed = await claimPendingAction(tenant, {
          id: actionId,
          status: 'rejected',
          decidedById: actor.userId,
          now: clock.now(),
        })
        if (!claimed) throw await alreadyDecided(tenant, actionId)
        await recordActionHistory(tenant, {
          actorUserId: actor.userId,
          tool: action.tool,
          risk: action.risk as ToolDefinition['risk'],
          input: action.input,
          status: 'rejected',
          resultSummary: action.summary,
          error: reason ?? null,
          channel: actor.channel,
          conversationId: action.conversationId,
          pendingActionId: actionId,
        })
      })
      void publish({
        type: 'action.updated',
        workspaceId: actor.workspaceId,
        actionId,
        status: 'rejected',
        tool: action.tool,
        decidedById: actor.userId,
        requestedById: action.requestedById,
        summary: action.summary,
      })
      return { status: 'rejected' as const, actionId, summary: action.summary }
    },

    /**
     * Undoes an executed action (by history id, or by the id of the pending action it came from).
     * Only the member who ran it or an admin may; `external` effects cannot be undone.
     */
    async undo({ actor, actionId }: { actor: Actor; actionId: string }) {
      if (actor.role === 'viewer')
        throw new AppError('forbidden', { message: 'Viewers cannot undo actions.' })
      const outcome = await database.withTenant(tenantOf(actor), async (tenant) => {
        const history =
          (await findActionHistory(tenant, { id: actionId })) ??
          (await findActionHistory(tenant, { pendingActionId: actionId, status: 'executed' }))
        if (!history) throw new AppError('not_found', { message: `No action with id ${actionId}.` })
        if (history.status !== 'executed') {
          throw new AppError('conflict', {
            message: `Only executed actions can be undone; this one is ${history.status}.`,
          })
        }
        if (history.actorUserId !== actor.userId && !adminRoles.includes(actor.role)) {
          throw new AppError('forbidden', {
            message: 'Only the member who ran this action, or an admin, can undo it.',
          })
        }
        const tool = toolsByName.get(history.tool)
        if (tool?.notUndoableBecause) throw new AppError('conflict', { message: tool.notUndoableBecause })
        if (!history.undoState)
          throw new AppError('conflict', { message: 'This action changed nothing that could be undone.' })
        if (await findActionHistory(tenant, { undoesActionId: history.id })) {
          throw new AppError('conflict', { message: 'This action has already been undone.' })
        }
        await applyUndo(contextFor(tenant, actor), history.undoState as UndoState)
        const marker = await recordActionHistory(tenant, {
          actorUserId: actor.userId,
          tool: history.tool,
          risk: history.risk as ToolDefinition['risk'],
          input: {},
          status: 'undone',
          resultSummary: `Undid: ${history.resultSummary ?? history.tool}`,
          channel: actor.channel,
          conversationId: actor.conversationId,
          undoesActionId: history.id,
        })
        return { history, marker }
      })
      void publish({
        type: 'action.undone',
        workspaceId: actor.workspaceId,
        actionId: outcome.history.id,
        undoId: outcome.marker.id,
        tool: outcome.history.tool,
      })
      return {
        status: 'undone' as const,
        actionId: outcome.history.id,
        undoId: outcome.marker.id,
        summary: outcome.marker.resultSummary,
      }
    },

    /** Pending actions (status pending/expired...) or action history entries, newest first. */
    async listActions({
      actor,
      status,
      limit,
      offset,
    }: {
      actor: Actor
      status?: string | undefined
      limit: number
      offset: number
    }) {
      return database.withTenant(tenantOf(actor), async (tenant) => {
        await expirePendingActions(tenant, { now: clock.now() })
        if (status === 'pending' || status === 'approved' || status === 'executing') {
          return {
            kind: 'pending' as const,
            rows: await listPendingActions(tenant, { status, limit, offset }),
          }
        }
        return {
          kind: 'history' as const,
          rows: await listActionHistory(tenant, {
            status: status as ActionHistoryStatus | undefined,
            limit,
            offset,
          }),
        }
      })
    },

    /** Every tool with its risk and the member's effective policy. */
    async describeTools({ actor }: { actor: Actor }) {
      return database.withTenant(tenantOf(actor), async (tenant) => {
        const described = []
        for (const tool of tools) {
          const policy = await decide(tenant, actor, tool)
          described.push({
            name: tool.name,
            category: tool.category,
            risk: tool.risk,
            description: tool.description,
            inputSchema: z.toJSONSchema(tool.inputSchema, { io: 'input' }),
            undoable: !tool.notUndoableBecause && tool.risk !== 'read',
            policy,
          })
        }
        return described
      })
    },

    getAutonomy,

    /**
     * Changes autonomy settings. Members change their own; `workspace: true` changes the workspace
     * defaults, which only owners and admins may. Viewers change nothing.
     */
    async setAutonomy({
      actor,
      settings,
      workspace = false,
    }: {
      actor: Actor
      settings: { scopeType: AutonomyScopeType; scope: string; mode: AutonomyMode | null }[]
      workspace?: boolean
    }) {
      if (actor.role === 'viewer')
        throw new AppError('forbidden', { message: 'Viewers cannot change autonomy settings.' })
      if (workspace && !adminRoles.includes(actor.role)) {
        throw new AppError('forbidden', {
          message: 'Only owners and admins can change the workspace defaults.',
        })
      }
      const categories = new Set(tools.map((tool) => tool.category))
      const risks = new Set(tools.map((tool) => tool.risk))
      for (const setting of settings) {
        const known =
          (setting.scopeType === 'tool' && toolsByName.has(setting.scope)) ||
          (setting.scopeType === 'category' && categories.has(setting.scope as ToolDefinition['category'])) ||
          (setting.scopeType === 'risk' && risks.has(setting.scope as ToolDefinition['risk']))
        if (!known) {
          throw new AppError('validation_failed', {
            message: `Unknown ${setting.scopeType} "${setting.scope}".`,
          })
        }
      }
      await database.withTenant(tenantOf(actor), async (tenant) => {
        for (const setting of settings) {
          await setAutonomyPreference(tenant, {
            userId: workspace ? null : actor.userId,
            scopeType: setting.scopeType,
            scope: setting.scope,
            mode: setting.mode,
            setById: actor.userId,
          })
        }
      })
      return getAutonomy({ actor })
    },
  }
}

export type ToolService = ReturnType<typeof createToolService>

/** A stable hash of a tool call (tool + canonical JSON input), stored with pending actions. */
export function hashInput(tool: string, input: Record<string, unknown>): string {
  return createHash('sha256')
    .update(`${tool}\n${canonicalJson(input)}`)
    .digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}
