import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../core/index.ts'
import { createWidgetTokens, resolveWidgetSecret } from './widget-token.ts'

const workspaceId = '6f1c1b9e-8a43-4e55-9c1a-2f4f3c0f7a11'
const otherWorkspaceId = '0b9d7f12-3c44-4a0e-8f5d-9e8a7b6c5d4e'
const userId = 'a3e5c7d9-1b2f-4a6c-8e0d-2f4a6c8e0b1d'
const secret = Buffer.alloc(32, 1)
const now = new Date('2026-11-28T10:00:00Z')

describe('widget tokens', () => {
  const tokens = createWidgetTokens({ secret, clock: fixedClock(now) })

  it('binds one member of one workspace and expires after an hour by default', () => {
    const { token, expiresAt } = tokens.issue({ workspaceId, userId })
    expect(token.startsWith('nwt1.')).toBe(true)
    expect(expiresAt.toISOString()).toBe('2026-11-28T11:00:00.000Z')
    expect(tokens.verify(token)).toEqual({ workspaceId, userId, expiresAt })
  })

  it('refuses an expired token', () => {
    const { token } = tokens.issue({ workspaceId, userId, seconds: 60 })
    const later = createWidgetTokens({ secret, clock: fixedClock(new Date(now.getTime() + 61_000)) })
    expect(() => later.verify(token)).toThrow(/expired/)
  })

  it('refuses a token whose payload was changed to another workspace', () => {
    const { token } = tokens.issue({ workspaceId, userId })
    const [, payload, signature] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const forged = Buffer.from(JSON.stringify({ ...claims, w: otherWorkspaceId })).toString('base64url')
    expect(() => tokens.verify(`nwt1.${forged}.${signature}`)).toThrow(/signature/)
  })

  it('refuses a token signed with another secret, and malformed ones', () => {
    const other = createWidgetTokens({ secret: Buffer.alloc(32, 2), clock: fixedClock(now) })
    expect(() => tokens.verify(other.issue({ workspaceId, userId }).token)).toThrow(/signature/)
    for (const bad of ['', 'nrd_abc', 'nwt1.', 'nwt1.a.b.c', `nwt1.${'x'.repeat(2000)}.sig`]) {
      expect(() => tokens.verify(bad)).toThrow()
    }
  })

  it('keeps an embedded secret in the data directory (0600) and derives one from ENCRYPTION_KEY', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nereid-widget-'))
    const first = resolveWidgetSecret({ encryptionKey: undefined, embeddedDataDir: dataDir })
    expect(first?.length).toBe(32)
    expect(resolveWidgetSecret({ encryptionKey: undefined, embeddedDataDir: dataDir })).toEqual(first)
    expect(statSync(join(dataDir, 'widget-secret')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dataDir, 'widget-secret'), 'utf8')).not.toContain(first!.toString('hex'))
    const key = Buffer.alloc(32, 9)
    const derived = resolveWidgetSecret({ encryptionKey: key, embeddedDataDir: undefined })
    expect(derived?.length).toBe(32)
    expect(derived?.equals(key)).toBe(false)
    expect(resolveWidgetSecret({ encryptionKey: undefined, embeddedDataDir: undefined })).toBeUndefined()
  })
})
