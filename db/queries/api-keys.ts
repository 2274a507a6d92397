import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../../core/index.ts'
import type { SystemTransaction, TenantTransaction } from '../database.ts'
import { recordAudit } from './audit-logs.ts'

/** Keys look like `nrd_<12-char prefix>_<43-char secret>`; the prefix finds the row, the hash proves the key. */
const keyPattern = /^nrd_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/

/** How stale `last_used_at` may get before a request refreshes it (one write per key per minute at most). */
const lastUsedPrecisionMs = 60_000

export interface CreatedApiKey {
  id: string
  name: string
  prefix: string
  /** The full key. Shown once; only its SHA-256 hash is stored. */
  key: string
}

export interface ApiKeySummary {
  id: string
  name: string
  prefix: string
  createdAt: Date
  lastUsedAt: Date | null
  revokedAt: Date | null
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

function newPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return Array.from(randomBytes(12), (byte) => alphabet[byte % alphabet.length]).join('')
}

/** Creates an API key for the current workspace and returns the only copy of the secret. */
export async function createApiKey(
  tenant: TenantTransaction,
  { name }: { name: string },
): Promise<CreatedApiKey> {
  const { transaction, models, userId } = tenant
  const prefix = newPrefix()
  const key = `nrd_${prefix}_${randomBytes(32).toString('base64url')}`
  const row = await models.ApiKey.create(
    {
      name: name.trim() || 'API key',
      prefix,
      keyHash: hashKey(key),
      createdById: userId ?? null,
      lastUsedAt: null,
      revokedAt: null,
    },
    { transaction },
  )
  const created = row.get()
  await recordAudit(tenant, {
    actorType: userId ? 'user' : 'system',
    actorUserId: userId,
    action: 'api_key.create',
    targetType: 'api_key',
    targetId: created.id,
    metadata: { name: created.name, prefix },
  })
  return { id: created.id, name: created.name, prefix, key }
}

/** The current workspace's keys, without secrets. */
export async function listApiKeys({ transaction, models }: TenantTransaction): Promise<ApiKeySummary[]> {
  const rows = await models.ApiKey.findAll({ order: [['createdAt', 'DESC']], transaction })
  return rows.map((row) => {
    const key = row.get()
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      createdAt: key.createdAt,
      lastUsedAt: key.lastUsedAt,
      revokedAt: key.revokedAt,
    }
  })
}

/** Revokes a key of the current workspace; true when a live key was revoked. */
export async function revokeApiKey(
  tenant: TenantTransaction,
  { id, clock }: { id: string; clock: Clock },
): Promise<boolean> {
  const { transaction, models, userId } = tenant
  const [count] = await models.ApiKey.update(
    { revokedAt: clock.now() },
    { where: { id, revokedAt: null }, transaction },
  )
  if (count === 0) return false
  await recordAudit(tenant, {
    actorType: userId ? 'user' : 'system',
    actorUserId: userId,
    action: 'api_key.revoke',
    targetType: 'api_key',
    targetId: id,
  })
  return true
}

export type ApiKeyVerdict =
  | { valid: true; apiKeyId: string; workspaceId: string }
  | { valid: false; reason: 'malformed' | 'unknown' | 'revoked' }

/**
 * Checks a presented key. System work by necessity: the workspace is what the key tells us, so
 * the lookup cannot run inside a workspace yet. It reads one row by its public prefix and compares
 * hashes in constant time; nothing else from that row leaves this function.
 */
export async function verifyApiKey(
  { transaction, models }: SystemTransaction,
  { key, clock }: { key: string; clock: Clock },
): Promise<ApiKeyVerdict> {
  const match = keyPattern.exec(key)
  if (!match) return { valid: false, reason: 'malformed' }
  const row = await models.ApiKey.findOne({ where: { prefix: match[1]! }, transaction })
  const presented = Buffer.from(hashKey(key), 'hex')
  const stored = Buffer.from(row ? row.get().keyHash : '0'.repeat(64), 'hex')
  const hashesMatch = timingSafeEqual(presented, stored)
  if (!row || !hashesMatch) return { valid: false, reason: 'unknown' }
  const apiKey = row.get()
  if (apiKey.revokedAt) return { valid: false, reason: 'revoked' }
  const now = clock.now()
  if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > lastUsedPrecisionMs) {
    await models.ApiKey.update({ lastUsedAt: now }, { where: { id: apiKey.id }, transaction })
  }
  return { valid: true, apiKeyId: apiKey.id, workspaceId: apiKey.workspaceId }
}
