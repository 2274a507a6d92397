import type { RequestHandler } from 'express'
import { AppError, type Clock } from '../../core/index.ts'
import { type Database, findMember, verifyApiKey } from '../../db/index.ts'
import { getWidgetOrigins } from '../../db/queries/widget-settings.ts'
import { isAllowedWidgetOrigin } from '../widget/widget-origins.ts'
import type { WidgetTokens } from '../widget/widget-token.ts'
import { widgetTokenPrefix } from '../widget/widget-token.ts'
import { setRequestContext } from './request-context.ts'

const bearerPattern = /^Bearer[ ]+([^\s]+)$/i

/**
 * Authentication for `/v1`: an API key or a widget token.
 *
 * API key: the key names the workspace; `X-Nereid-User` names the member the call acts for (user
 * id or email), who must belong to that same workspace. The member is looked up only in the key's
 * workspace, in the same statement as the key (verifyApiKey), so a member of any other workspace is
 * not found: 403.
 *
 * Widget token (`nwt1.…`, when the widget is enabled): the signed token itself names the workspace
 * and the member; `X-Nereid-User` is ignored, so a widget user can never act as someone else. The
 * member is looked up again, so a removed member's token stops working at once.
 */
export function authenticateApiKey({
  database,
  clock,
  widgetTokens,
  publicOrigin,
}: {
  database: Database
  clock: Clock
  widgetTokens?: WidgetTokens | undefined
  /** The service's public origin (PUBLIC_URL), allowed for the widget besides each workspace's own. */
  publicOrigin?: string | undefined
}): RequestHandler {
  return async (request, response, next) => {
    const header = request.get('authorization')
    if (!header) {
      throw new AppError('unauthorized', {
        message: 'Missing Authorization header: send "Authorization: Bearer <api key>".',
      })
    }
    const match = bearerPattern.exec(header.trim())
    if (!match) {
      throw new AppError('unauthorized', {
        message: 'Malformed Authorization header: expected "Bearer <api key>".',
      })
    }
    if (match[1]!.startsWith(widgetTokenPrefix)) {
      if (!widgetTokens)
        throw new AppError('unauthorized', { message: 'The widget is not enabled on this server.' })
      const identity = widgetTokens.verify(match[1]!)
      const { member, allowedOrigins } = await database.withTenant(
        { workspaceId: identity.workspaceId },
        async (tenant) => ({
          member: await findMember(tenant, { idOrEmail: identity.userId }),
          allowedOrigins: await getWidgetOrigins(tenant),
        }),
      )
      if (!member) {
        throw new AppError('forbidden', {
          message: 'The widget token names someone who is no longer a member.',
        })
      }
      const origin = request.get('origin')
      if (!isAllowedWidgetOrigin({ origin, host: request.get('host'), publicOrigin, allowedOrigins })) {
        throw new AppError('forbidden', {
          message: `The origin ${origin} is not allowed for this workspace's widget.`,
        })
      }
      // The widget calls the API from the host page: let that (allowed) page read the response.
      if (origin) {
        response.setHeader('Access-Control-Allow-Origin', origin)
        response.setHeader('Vary', 'Origin')
      }
      setRequestContext(request, {
        workspaceId: identity.workspaceId,
        userId: member.userId,
        role: member.role,
        via: 'widget-token',
        requestId: String(request.id),
      })
      next()
      return
    }
    const actingUser = request.get('x-nereid-user')?.trim()
    // The key and the member it acts for in one statement; the member only from the key's workspace.
    // No transaction around it: BEGIN and COMMIT would double the round trips of every request.
    const verdict = await database.withSystemStatements((system) =>
      verifyApiKey(system, { key: match[1]!, clock, actingUser }),
    )
    if (!verdict.valid) {
      const messages = {
        malformed: 'The API key is malformed: keys look like nrd_<prefix>_<secret>.',
        unknown: 'The API key is not valid.',
        revoked: 'The API key has been revoked.',
      }
      throw new AppError('unauthorized', { message: messages[verdict.reason] })
    }
    if (!actingUser) {
      throw new AppError('bad_request', {
        message: 'Missing X-Nereid-User header: name the workspace member (id or email) this call acts for.',
      })
    }
    const member = verdict.member
    if (!member) {
      throw new AppError('forbidden', {
        message: "X-Nereid-User does not name a member of this API key's workspace.",
      })
    }
    setRequestContext(request, {
      workspaceId: verdict.workspaceId,
      userId: member.userId,
      role: member.role,
      via: 'api-key',
      apiKeyId: verdict.apiKeyId,
      requestId: String(request.id),
    })
    next()
  }
}
