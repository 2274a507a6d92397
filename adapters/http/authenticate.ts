import type { RequestHandler } from 'express'
import { AppError, type Clock } from '../../core/index.ts'
import { type Database, findMember, verifyApiKey } from '../../db/index.ts'
import { setRequestContext } from './request-context.ts'

const bearerPattern = /^Bearer[ ]+([^\s]+)$/i

/**
 * API-key authentication for `/v1`. The key names the workspace; `X-Nereid-User` names the
 * member the call acts for (user id or email), who must belong to that same workspace. The member
 * lookup runs inside the key's workspace, so a member of any other workspace is not found: 403.
 */
export function authenticateApiKey({
  database,
  clock,
}: {
  database: Database
  clock: Clock
}): RequestHandler {
  return async (request, _response, next) => {
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
    const verdict = await database.withSystem((system) => verifyApiKey(system, { key: match[1]!, clock }))
    if (!verdict.valid) {
      const messages = {
        malformed: 'The API key is malformed: keys look like nrd_<prefix>_<secret>.',
        unknown: 'The API key is not valid.',
        revoked: 'The API key has been revoked.',
      }
      throw new AppError('unauthorized', { message: messages[verdict.reason] })
    }
    const actingUser = request.get('x-nereid-user')?.trim()
    if (!actingUser) {
      throw new AppError('bad_request', {
        message: 'Missing X-Nereid-User header: name the workspace member (id or email) this call acts for.',
      })
    }
    const member = await database.withTenant({ workspaceId: verdict.workspaceId }, (tenant) =>
      findMember(tenant, { idOrEmail: actingUser }),
    )
    if (!member) {
      throw new AppError('forbidden', {
        message: "X-Nereid-User does not name a member of this API key's workspace.",
      })
    }
    setRequestContext(request, {
      workspaceId: verdict.workspaceId,
      userId: member.userId,
      role: member.role,
      apiKeyId: verdict.apiKeyId,
      requestId: String(request.id),
    })
    next()
  }
}
