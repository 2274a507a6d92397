import { z } from 'zod'

/**
 * The thresholds of the detectors, per workspace, read from `workspaces.settings.insights`. Every
 * field is optional there; a missing or invalid field takes its default (an invalid one is
 * reported once per run in the log, it never stops the detectors).
 */
export const insightSettingsSchema = z.object({
  /** Switch all detectors off for the workspace. */
  enabled: z.boolean().default(true),
  /** An open deal with no interaction for this many days is stale. */
  staleDealDays: z.number().int().min(1).max(365).default(14),
  /** A deal this many days past its expected close date is critical (before that: a warning). */
  pastCloseCriticalDays: z.number().int().min(1).max(365).default(30),
  /** A member with this many overdue tasks or more gets a critical insight. */
  overdueTasksCriticalCount: z.number().int().min(1).max(1000).default(5),
  /** A prospect with at least this score is hot. */
  hotProspectScore: z.number().int().min(0).max(100).default(80),
  /** A sent campaign with more than this share of bounces (of sent) is flagged. */
  campaignBounceRate: z.number().min(0).max(1).default(0.05),
  /** A sent campaign with more than this share of unsubscribes (of delivered) is flagged. */
  campaignUnsubscribeRate: z.number().min(0).max(1).default(0.02),
  /** A campaign opening below this fraction of the workspace's median open rate is flagged. */
  campaignOpenRateFactor: z.number().min(0).max(1).default(0.5),
  /** The open-rate comparison needs at least this many sent campaigns. */
  campaignMedianMinCampaigns: z.number().int().min(2).max(1000).default(3),
  /** Campaigns with fewer sent messages are too small to judge. */
  campaignMinSent: z.number().int().min(1).max(1_000_000).default(20),
  /** Only campaigns sent within this many days are judged. */
  campaignLookbackDays: z.number().int().min(1).max(365).default(30),
  /** An active customer with no interaction for this many days is at risk. */
  customerAtRiskDays: z.number().int().min(1).max(730).default(30),
  /** The local hour (workspace time zone) of the daily digest. */
  digestHour: z.number().int().min(0).max(23).default(8),
})

export type InsightSettings = z.output<typeof insightSettingsSchema>

/** The defaults, as documented in the README. */
export const defaultInsightSettings: InsightSettings = insightSettingsSchema.parse({})

/**
 * The workspace's settings over the defaults. Fields that do not validate are dropped (and named
 * in `invalid`), so one bad value never disables the detectors.
 */
export function resolveInsightSettings(raw: unknown): { settings: InsightSettings; invalid: string[] } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return { settings: defaultInsightSettings, invalid: [] }
  const valid: Record<string, unknown> = {}
  const invalid: string[] = []
  const shape = insightSettingsSchema.shape
  for (const [key, value] of Object.entries(raw)) {
    const field = shape[key as keyof typeof shape]
    if (!field) {
      invalid.push(key)
      continue
    }
    if (field.safeParse(value).success) valid[key] = value
    else invalid.push(key)
  }
  return { settings: insightSettingsSchema.parse(valid), invalid }
}
