import { Router } from 'express'
import { z } from 'zod'
import { AppError } from '../../../core/index.ts'
import { type Database, findMember } from '../../../db/index.ts'
import { getWidgetOrigins, setWidgetOrigins } from '../../../db/queries/widget-settings.ts'
import type { WidgetTokens } from '../../widget/widget-token.ts'
import { getRequestContext } from '../request-context.ts'
import { validateInput } from '../validate-input.ts'

const tokenBody = z
  .object({
    user: z.string().trim().min(1, 'name the member (id or email)').max(320),
    /** Lifetime in seconds: 1 minute to 1 day (default 1 hour). */
    expiresInSeconds: z.number().int().min(60).max(86_400).optional(),
  })
  .strict()

const origin = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value)
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value
    } catch {
      return false
    }
  }, 'expected an origin like https://app.example.com (scheme, host and port only)')
const originsBody = z.object({ origins: z.array(origin).max(50) }).strict()

/**
 * `POST /v1/widget/token` (mint a widget token for a member) and `GET/PUT /v1/widget/origins` (the
 * pages allowed to open the widget's socket).
 *
 * Why only API-key callers may mint tokens: the host application's backend vouches for its
 * signed-in user with the workspace's key; a widget token minting more tokens (for anyone) would
 * turn one member's session into everyone's. Origins are workspace settings: owners and admins only.
 */
export function createWidgetRoutes({
  database,
  widgetTokens,
}: {
  database: Database
  widgetTokens: WidgetTokens | undefined
}): Router {
  const router = Router()

  router.post('/widget/token', async (request, response) => {
    const context = getRequestContext(request)
    if (context.via !== 'api-key') {
      throw new AppError('forbidden', {
        message: 'Widget tokens are minted with an API key, by the host backend.',
      })
    }
    if (!widgetTokens) {
      throw new AppError('unavailable', {
        message: 'The widget needs ENCRYPTION_KEY to sign its tokens when DATABASE_URL is set.',
      })
    }
    const { user, expiresInSeconds } = validateInput({
      schema: tokenBody,
      input: request.body ?? {},
      what: 'field',
    })
    const member = await database.withTenant({ workspaceId: context.workspaceId }, (tenant) =>
      findMember(tenant, { idOrEmail: user }),
    )
    if (!member) throw new AppError('not_found', { message: 'No member of this workspace matches user.' })
    const { token, expiresAt } = widgetTokens.issue({
      workspaceId: context.workspaceId,
      userId: member.userId,
      ...(expiresInSeconds ? { seconds: expiresInSeconds } : {}),
    })
    response.status(201).json({ token, expiresAt, userId: member.userId })
  })

  router.get('/widget/origins', async (request, response) => {
    const context = getRequestContext(request)
    const origins = await database.withTenant({ workspaceId: context.workspaceId }, (tenant) =>
      getWidgetOrigins(tenant),
    )
    response.json({ origins })
  })

  router.put('/widget/origins', async (request, response) => {
    const context = getRequestContext(request)
    if (context.role !== 'owner' && context.role !== 'admin') {
      throw new AppError('forbidden', { message: 'Only owners and admins can change the widget origins.' })
    }
    const { origins } = validateInput({ schema: originsBody, input: request.body ?? {}, what: 'field' })
    const saved = await database.withTenant({ workspaceId: context.workspaceId }, (tenant) =>
      setWidgetOrigins(tenant, { origins: [...new Set(origins)] }),
    )
    response.json({ origins: saved })
  })

  return router
}
