import { Router } from 'express'
import { z } from 'zod'
import { autonomyModes, autonomyScopeTypes } from '../../../db/index.ts'
import type { Actor, ToolService } from '../../../tools/index.ts'
import { pageOf, pagingQueryShape } from '../paging.ts'
import { getRequestContext, type RequestContext } from '../request-context.ts'
import { validateInput } from '../validate-input.ts'

const invokeBody = z.object({ input: z.record(z.string(), z.unknown()).default({}) }).strict()
const idParameter = z.object({ id: z.uuid({ message: 'expected an action id (uuid)' }) })
const rejectBody = z.object({ reason: z.string().trim().max(1000).optional() }).strict()
const actionsQuery = z
  .object({
    status: z
      .enum(['pending', 'executing', 'executed', 'rejected', 'denied', 'failed', 'expired', 'undone'])
      .optional(),
    ...pagingQueryShape,
  })
  .strict()
const autonomyBody = z
  .object({
    settings: z
      .array(
        z
          .object({
            scopeType: z.enum(autonomyScopeTypes),
            scope: z.string().trim().min(1).max(64),
            mode: z.enum(autonomyModes).nullable(),
          })
          .strict(),
      )
      .min(1, 'give at least one setting')
      .max(100),
    workspace: z.boolean().default(false),
  })
  .strict()

/** The API caller acts for the member the request names; the channel is `api`. */
function actorOf(context: RequestContext): Actor {
  return { workspaceId: context.workspaceId, userId: context.userId, role: context.role, channel: 'api' }
}

/**
 * Tools, actions and autonomy over HTTP. Every call goes through the tool service, so the API is
 * held to the same autonomy policy, history and approval rules as every other channel.
 */
export function createToolRoutes({ toolService }: { toolService: ToolService }): Router {
  const router = Router()

  router.get('/tools', async (request, response) => {
    response.json({ data: await toolService.describeTools({ actor: actorOf(getRequestContext(request)) }) })
  })

  router.post('/tools/:name/invoke', async (request, response) => {
    const { input } = validateInput({ schema: invokeBody, input: request.body ?? {}, what: 'field' })
    const outcome = await toolService.invoke({
      actor: actorOf(getRequestContext(request)),
      name: String(request.params.name),
      input,
    })
    response.status(outcome.status === 'pending' ? 202 : 200).json(outcome)
  })

  router.get('/actions', async (request, response) => {
    const { status, limit, offset } = validateInput({
      schema: actionsQuery,
      input: request.query,
      what: 'query parameter',
    })
    const listed = await toolService.listActions({
      actor: actorOf(getRequestContext(request)),
      status,
      limit,
      offset,
    })
    const data =
      listed.kind === 'pending'
        ? listed.rows.map((action) => ({
            id: action.id,
            kind: 'pending',
            tool: action.tool,
            risk: action.risk,
            summary: action.summary,
            status: action.status,
            input: action.input,
            requestedById: action.requestedById,
            channel: action.channel,
            conversationId: action.conversationId,
            expiresAt: action.expiresAt,
            decidedById: action.decidedById,
            decidedAt: action.decidedAt,
            createdAt: action.createdAt,
          }))
        : listed.rows.map((entry) => ({
            id: entry.id,
            kind: 'history',
            tool: entry.tool,
            risk: entry.risk,
            status: entry.status,
            summary: entry.resultSummary,
            error: entry.error,
            input: entry.input,
            actorUserId: entry.actorUserId,
            channel: entry.channel,
            conversationId: entry.conversationId,
            durationMs: entry.durationMs,
            pendingActionId: entry.pendingActionId,
            undoesActionId: entry.undoesActionId,
            undoable: entry.status === 'executed' && entry.undoState !== null,
            createdAt: entry.createdAt,
          }))
    response.json({ data, page: pageOf({ count: data.length, limit, offset }) })
  })

  router.post('/actions/:id/approve', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    response.json(await toolService.approve({ actor: actorOf(getRequestContext(request)), actionId: id }))
  })

  router.post('/actions/:id/reject', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    const { reason } = validateInput({ schema: rejectBody, input: request.body ?? {}, what: 'field' })
    response.json(
      await toolService.reject({ actor: actorOf(getRequestContext(request)), actionId: id, reason }),
    )
  })

  router.post('/actions/:id/undo', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    response.json(await toolService.undo({ actor: actorOf(getRequestContext(request)), actionId: id }))
  })

  router.get('/autonomy', async (request, response) => {
    response.json(await toolService.getAutonomy({ actor: actorOf(getRequestContext(request)) }))
  })

  router.put('/autonomy', async (request, response) => {
    const { settings, workspace } = validateInput({
      schema: autonomyBody,
      input: request.body ?? {},
      what: 'field',
    })
    response.json(
      await toolService.setAutonomy({ actor: actorOf(getRequestContext(request)), settings, workspace }),
    )
  })

  return router
}
