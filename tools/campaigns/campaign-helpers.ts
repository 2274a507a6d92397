import { AppError } from '../../core/index.ts'
import {
  type CampaignStats,
  countCampaignRecipientsByStatus,
  type PlainRecord,
  type RecipientAddress,
  recipientStatuses,
  requireRecord,
  type TenantTransaction,
} from '../../db/index.ts'
import { formatLabel, quoteName } from '../format.ts'
import { resolveReference } from '../resolve-reference.ts'
import type { ToolContext, UndoState } from '../tool-definition.ts'

/** Shared pieces of the campaign tools: finding a campaign, state rules and delivery statistics. */

/**
 * A campaign by id or name (an ambiguous name fails with candidates). With `lock`, the row is then
 * locked for the rest of the transaction, so two calls cannot both move it from the same state.
 */
export async function resolveCampaign(
  context: ToolContext,
  { reference, lock = false }: { reference: string; lock?: boolean },
): Promise<PlainRecord> {
  const campaign = await resolveReference(context, {
    kind: 'campaign',
    reference,
    searchIn: ['name'],
    label: (record) => `${String(record.name)} (${String(record.status)}, ${String(record.channel)})`,
  })
  return lock ? requireRecord(context.tenant, { kind: 'campaign', id: campaign.id, lock: true }) : campaign
}

/** A 409 unless the campaign is in one of `allowed` statuses; `doing` completes "only ... campaigns can ...". */
export function assertCampaignStatus(
  campaign: PlainRecord,
  { allowed, doing }: { allowed: readonly string[]; doing: string },
): void {
  if (allowed.includes(String(campaign.status))) return
  const list =
    allowed.length === 1
      ? allowed[0]!
      : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`
  throw new AppError('conflict', {
    message: `Campaign ${quoteName(campaign.name)} is ${formatLabel(String(campaign.status)).toLowerCase()}; only ${list} campaigns can ${doing}.`,
    details: { status: campaign.status },
  })
}

/**
 * An undo step that changes nothing but refuses (409) once the campaign has left `status`. Undo
 * of a create just deletes what was created; placed last in a 'steps' undo (steps are undone in
 * reverse, so it is checked first), it keeps undoing create_campaign or add_campaign_recipients
 * from erasing a campaign, or recipients, that have since been scheduled or sent.
 */
export function unchangedStatusGuard(campaign: PlainRecord): UndoState {
  const status = { status: campaign.status }
  return { type: 'update', kind: 'campaign', id: campaign.id, before: status, after: status }
}

/** Email campaigns reach contacts by email, SMS campaigns by phone. */
export function addressFor(campaign: PlainRecord): RecipientAddress {
  return campaign.channel === 'sms' ? 'phone' : 'email'
}

/** Recipient counts of one campaign for every status (0 where none), and their total. */
export async function recipientCounts(
  tenant: TenantTransaction,
  { campaignId }: { campaignId: string },
): Promise<{ byStatus: Record<string, number>; total: number }> {
  const counted = (await countCampaignRecipientsByStatus(tenant, { campaignIds: [campaignId] })).get(
    campaignId,
  )
  const byStatus = Object.fromEntries(recipientStatuses.map((status) => [status, counted?.[status] ?? 0]))
  return { byStatus, total: Object.values(byStatus).reduce((sum, count) => sum + count, 0) }
}

/**
 * Before sending or scheduling: the campaign needs someone to send to and, for email, a subject.
 * Both are states of the campaign, not of the request, hence 409.
 */
export function assertSendable(campaign: PlainRecord, { pending }: { pending: number }): void {
  if (pending === 0) {
    throw new AppError('conflict', {
      message: `Campaign ${quoteName(campaign.name)} has no recipients waiting; add some with add_campaign_recipients first.`,
    })
  }
  if (campaign.channel === 'email' && !String(campaign.subject ?? '').trim()) {
    throw new AppError('conflict', {
      message: `Campaign ${quoteName(campaign.name)} has no subject; an email campaign needs one.`,
    })
  }
}

export interface CampaignRates {
  /** opened / delivered */
  openRate: number | null
  /** clicked / delivered */
  clickRate: number | null
  /** clicked / opened (click-to-open) */
  clickToOpenRate: number | null
  /** bounced / sent */
  bounceRate: number | null
  /** unsubscribed / delivered */
  unsubscribeRate: number | null
}

/**
 * The usual email marketing rates as fractions (0.25 = 25%), to four decimals; null when nothing
 * has reached the step they are relative to yet.
 */
export function campaignRates(stats: CampaignStats): CampaignRates {
  const rate = (part: number, whole: number) =>
    whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null
  return {
    openRate: rate(stats.opened, stats.delivered),
    clickRate: rate(stats.clicked, stats.delivered),
    clickToOpenRate: rate(stats.clicked, stats.opened),
    bounceRate: rate(stats.bounced, stats.sent),
    unsubscribeRate: rate(stats.unsubscribed, stats.delivered),
  }
}

/** 0.5152 -> "51.5%"; null -> "n/a". */
export function formatRate(rate: number | null): string {
  return rate === null ? 'n/a' : `${Math.round(rate * 1000) / 10}%`
}

/** "Mar 8, 2026, 14:00 UTC" (campaigns go out at a time, not just on a day). */
export function formatMoment(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value
  return `${new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
  }).format(date)} UTC`
}

/** "1 contact", "42 contacts". */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
