import { createHmac, timingSafeEqual } from 'node:crypto'
import { AppError, type Clock } from '../../core/index.ts'

/**
 * Signed install links: `nereid slack install-url --workspace acme` prints
 * `/slack/install?link=<token>`; whoever installs the app through it links their Slack team to that
 * workspace. The token names the workspace and an expiry and is HMAC-signed with a key derived
 * from ENCRYPTION_KEY, so nobody can forge a link into a workspace they were not invited to.
 * Installing without a link only installs the app; an admin then links the team with
 * `nereid slack link`.
 */
export function createInstallLinkTokens({ secret, clock }: { secret: Buffer; clock: Clock }) {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url')
  return {
    /** A token linking an install to `workspaceId`, valid for `ttlMs` (default 7 days). */
    issue({ workspaceId, ttlMs = 7 * 24 * 3600 * 1000 }: { workspaceId: string; ttlMs?: number }): string {
      const payload = Buffer.from(
        JSON.stringify({ w: workspaceId, e: Math.floor((clock.now().getTime() + ttlMs) / 1000) }),
      ).toString('base64url')
      return `${payload}.${sign(payload)}`
    },
    /** The workspace a valid, unexpired token names; throws `unauthorized` otherwise. */
    verify(token: string): { workspaceId: string } {
      const [payload, signature] = token.split('.')
      const expected = Buffer.from(sign(payload ?? ''))
      const given = Buffer.from(signature ?? '')
      if (!payload || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AppError('unauthorized', { message: 'This install link is not valid.' })
      }
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        w?: unknown
        e?: unknown
      }
      if (typeof decoded.w !== 'string' || typeof decoded.e !== 'number') {
        throw new AppError('unauthorized', { message: 'This install link is not valid.' })
      }
      if (decoded.e * 1000 < clock.now().getTime()) {
        throw new AppError('unauthorized', { message: 'This install link has expired; ask for a new one.' })
      }
      return { workspaceId: decoded.w }
    },
  }
}

export type InstallLinkTokens = ReturnType<typeof createInstallLinkTokens>
