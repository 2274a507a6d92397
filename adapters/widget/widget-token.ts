import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { AppError, type Clock } from '../../core/index.ts'

/** Widget tokens start with this, so the API tells them from API keys at a glance. */
export const widgetTokenPrefix = 'nwt1.'
export const defaultWidgetTokenSeconds = 3600

const payloadSchema = z.strictObject({
  w: z.uuid(),
  u: z.uuid(),
  iat: z.number().int(),
  exp: z.number().int(),
})

/** Who a valid widget token names. */
export interface WidgetIdentity {
  workspaceId: string
  userId: string
  expiresAt: Date
}

export interface WidgetTokens {
  /** Signs a token for one member of one workspace, valid for `seconds` (default 1 h). */
  issue(options: { workspaceId: string; userId: string; seconds?: number }): {
    token: string
    expiresAt: Date
  }
  /** Verifies signature and expiry; throws `unauthorized` with the reason otherwise. */
  verify(token: string): WidgetIdentity
}

const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url')

/**
 * HMAC-SHA256 signed widget tokens: `nwt1.<payload>.<signature>`, the payload naming the workspace,
 * the member and the expiry. Why a signed token and not a session: the host app's backend mints it
 * with its API key for the user it has signed in, and the widget presents it to any Nereid process
 * (HTTP or WebSocket) without shared session state. The token binds exactly one member of one
 * workspace; membership is still checked on every use, so removing a member cuts them off before
 * their token expires.
 */
export function createWidgetTokens({ secret, clock }: { secret: Buffer; clock: Clock }): WidgetTokens {
  if (secret.length < 32) throw new Error('widget token secret must be at least 32 bytes')
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest()
  return {
    issue({ workspaceId, userId, seconds = defaultWidgetTokenSeconds }) {
      const issuedAt = Math.floor(clock.now().getTime() / 1000)
      const payload = base64url(
        JSON.stringify({ w: workspaceId, u: userId, iat: issuedAt, exp: issuedAt + seconds }),
      )
      return {
        token: `${widgetTokenPrefix}${payload}.${base64url(sign(payload))}`,
        expiresAt: new Date((issuedAt + seconds) * 1000),
      }
    },
    verify(token) {
      const refuse = (message: string) => new AppError('unauthorized', { message })
      if (!token.startsWith(widgetTokenPrefix)) throw refuse('This is not a widget token.')
      const [payload, signature, ...rest] = token.slice(widgetTokenPrefix.length).split('.')
      if (!payload || !signature || rest.length > 0 || payload.length > 1000) {
        throw refuse('The widget token is malformed.')
      }
      const expected = sign(payload)
      const given = Buffer.from(signature, 'base64url')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw refuse('The widget token signature is not valid.')
      }
      let parsed: z.infer<typeof payloadSchema>
      try {
        parsed = payloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')))
      } catch {
        throw refuse('The widget token is malformed.')
      }
      if (parsed.exp * 1000 <= clock.now().getTime()) {
        throw refuse('The widget token has expired; fetch a new one.')
      }
      return { workspaceId: parsed.w, userId: parsed.u, expiresAt: new Date(parsed.exp * 1000) }
    },
  }
}

/**
 * The signing secret: derived from ENCRYPTION_KEY (HKDF, so the token key is never the encryption
 * key itself), or, in embedded mode without one, a random secret kept in the data directory (so the
 * zero-setup demo works and tokens survive a restart). With a real database and no ENCRYPTION_KEY
 * there is no secret: several processes must share one, and a per-process random one would make
 * tokens fail at random; the widget is then disabled with a message saying why.
 */
export function resolveWidgetSecret({
  encryptionKey,
  embeddedDataDir,
}: {
  encryptionKey: Buffer | undefined
  embeddedDataDir: string | undefined
}): Buffer | undefined {
  if (encryptionKey) {
    return Buffer.from(hkdfSync('sha256', encryptionKey, 'nereid', 'widget-token-v1', 32))
  }
  if (!embeddedDataDir) return undefined
  const file = join(embeddedDataDir, 'widget-secret')
  if (existsSync(file)) {
    const stored = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
    if (stored.length >= 32) return stored
  }
  mkdirSync(embeddedDataDir, { recursive: true })
  const created = randomBytes(32)
  writeFileSync(file, `${created.toString('base64')}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return created
}
