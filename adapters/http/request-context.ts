import type { Request } from 'express'
import { AppError } from '../../core/index.ts'
import type { MemberRole } from '../../db/index.ts'

/** Who an authenticated request acts for; set by the authentication middleware. */
export interface RequestContext {
  workspaceId: string
  userId: string
  role: MemberRole
  /** How the caller proved who they are: a workspace API key, or a widget token bound to the member. */
  via: 'api-key' | 'widget-token'
  /** The API key used, for API-key calls. */
  apiKeyId?: string | undefined
  requestId: string
}

const contexts = new WeakMap<Request, RequestContext>()

export function setRequestContext(request: Request, context: RequestContext): void {
  contexts.set(request, context)
}

/** The request's tenant context; a route behind authentication that lacks one is a bug (500). */
export function getRequestContext(request: Request): RequestContext {
  const context = contexts.get(request)
  if (!context) throw new AppError('internal', { message: 'The request was not authenticated.' })
  return context
}
