import type { DetectedInsight, MemberRole, TenantTransaction } from '../../db/index.ts'
import type { InsightSettings } from './insight-settings.ts'

/** What every detector gets: the tenant transaction (row-level security), "now" and the settings. */
export interface DetectorContext {
  tenant: TenantTransaction
  /** The injected clock's "now" (never the database's `now()`, so tests can fix time). */
  now: Date
  settings: InsightSettings
  /** The workspace's IANA time zone ("today" and the digest hour are local to it). */
  timeZone: string
  /** The workspace's members and roles: insights without an owner go to the owners and admins. */
  members: readonly { userId: string; role: MemberRole }[]
}

/** One detector: a SQL query over the tenant's data turned into insights (one per member they are for). */
export interface InsightDetector {
  /** The insight type it raises; a run resolves only types whose detector succeeded. */
  type: string
  detect(context: DetectorContext): Promise<DetectedInsight[]>
}

const dayMs = 24 * 60 * 60 * 1000

/**
 * Who an insight about a record is for: its owner when it has one who is still a member (and not a
 * viewer, who cannot act on it), otherwise every owner and admin of the workspace.
 */
export function recipientsFor(ownerId: string | null, members: DetectorContext['members']): string[] {
  // Why viewers are skipped: they can read but never change data, so they could not act on it.
  const owner = ownerId
    ? members.find((member) => member.userId === ownerId && member.role !== 'viewer')
    : undefined
  if (owner) return [owner.userId]
  return members
    .filter((member) => member.role === 'owner' || member.role === 'admin')
    .map((member) => member.userId)
}

/** Whole days between two instants (at least 0). */
export function daysBetween(earlier: Date, later: Date): number {
  return Math.max(0, Math.floor((later.getTime() - earlier.getTime()) / dayMs))
}

/** "1 day", "3 days". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

const moneyFormats = new Map<string, Intl.NumberFormat>()
const dateFormat = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  timeZone: 'UTC',
})

/** 1200000 USD cents -> "$12,000". Formatters are cached: building one costs more than a detector row. */
export function formatMoney(cents: number | string, currency: string): string {
  let format = moneyFormats.get(currency)
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 })
    moneyFormats.set(currency, format)
  }
  return format.format(Number(cents) / 100)
}

/** A date as "Mar 2, 2026". */
export function formatDate(value: Date | string): string {
  return dateFormat.format(
    typeof value === 'string' ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : value,
  )
}
