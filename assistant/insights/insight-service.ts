import {
  AppError,
  type Clock,
  type EventBus,
  type IdGenerator,
  type Logger,
  mapConcurrently,
  randomIds,
} from '../../core/index.ts'
import {
  createNotifications,
  type Database,
  type FingerprintedInsight,
  findInsight,
  fingerprintInsight,
  type InsightRecord,
  type InsightStatus,
  insightKey,
  listInsights,
  listNotificationPreferences,
  listNotifications,
  listUnresolvedInsights,
  type MemberRole,
  markNotificationRead,
  type NewNotification,
  type NotificationChannel,
  type NotificationPreferences,
  type NotificationRecord,
  readInsightSettings,
  resolveInsights,
  saveInsightSettings,
  saveNotificationPreferences,
  selectRows,
  setInsightActionStatus,
  type TenantTransaction,
  transitionInsight,
  type UpsertedInsight,
  upsertInsights,
  wakeSnoozedInsights,
  withBody,
} from '../../db/index.ts'
import type { Actor, InvokeResult, ToolService } from '../../tools/index.ts'
import type { DetectorContext, InsightDetector } from './detector.ts'
import { allDetectors } from './detectors.ts'
import type { InsightPhraser } from './insight-phraser.ts'
import { type InsightSettings, insightSettingsSchema, resolveInsightSettings } from './insight-settings.ts'
import { localDate, pushChannels } from './notification-policy.ts'
import { findTasksDueToday } from './tasks-due-today.ts'

/** Pushes a stored notification to one more channel (e.g. a Slack DM). Failures are logged per notification. */
export interface NotificationSender {
  channel: Exclude<NotificationChannel, 'widget'>
  send(options: { workspaceId: string; notification: NotificationRecord }): Promise<void>
}

export interface InsightServiceOptions {
  database: Database
  toolService: Pick<ToolService, 'invoke'>
  clock: Clock
  bus: EventBus
  logger: Logger
  /** Default: every detector (assistant/insights/detectors.ts). */
  detectors?: readonly InsightDetector[] | undefined
  /** Channels beyond the widget (whose push is the `notification.created` bus event). */
  senders?: readonly NotificationSender[] | undefined
  /** Run ids. */
  ids?: IdGenerator | undefined
  /** A member with more new insights than this in one run gets one summary notification instead. */
  maxSingleNotifications?: number | undefined
  /** Phrases new and changed insights' bodies (a configured chat model); without one, templates. */
  phraser?: InsightPhraser | undefined
  /** At most this many bodies are phrased per run (default 20); the rest keep their templates. */
  maxPhrasedPerRun?: number | undefined
}

export interface DetectorOutcome {
  type: string
  found: number
  durationMs: number
  error?: string | undefined
}

export interface InsightRunSummary {
  workspaceId: string
  runId: string
  /** False when the workspace switched insights off (`settings.insights.enabled: false`). */
  enabled: boolean
  raised: number
  refreshed: number
  resolved: number
  reopened: number
  notifications: number
  detectors: DetectorOutcome[]
  /** Writing insights and notifications (after the detectors). */
  reconcileMs: number
  durationMs: number
}

export interface DigestSummary {
  workspaceId: string
  date: string
  notifications: number
}

const severityRank = { critical: 0, warning: 1, info: 2 } as const
const snoozeLimitMs = 90 * 24 * 60 * 60 * 1000

/**
 * Proactive insights: runs the detectors over one workspace, keeps `proactive_insights` in step with
 * what they find (raise, refresh, resolve), tells the members (notifications rows, the
 * `notification.created` bus event the widget forwards, and any extra senders such as Slack), and
 * handles the members' decisions (dismiss, snooze, accept through the autonomy policy).
 */
export function createInsightService({
  database,
  toolService,
  clock,
  bus,
  logger,
  detectors = allDetectors,
  senders = [],
  ids = randomIds,
  maxSingleNotifications = 3,
  phraser,
  maxPhrasedPerRun = 20,
}: InsightServiceOptions) {
  const available = new Set<NotificationChannel>(['widget', ...senders.map((sender) => sender.channel)])

  async function loadWorkspace(tenant: TenantTransaction) {
    const { settings: raw, timeZone, name } = await readInsightSettings(tenant)
    const members = await selectRows<{ userId: string; role: MemberRole }>(
      tenant,
      'SELECT user_id AS "userId", role FROM workspace_members ORDER BY created_at, user_id',
    )
    const resolved = resolveInsightSettings(raw)
    return { ...resolved, timeZone, name, members }
  }

  /** Publishes and sends after the transaction committed; one failed delivery never stops the others. */
  async function push(workspaceId: string, notifications: readonly NotificationRecord[]): Promise<void> {
    for (const notification of notifications) {
      if (notification.pushedTo.includes('widget')) {
        await bus
          .publish({
            type: 'notification.created',
            workspaceId,
            userId: notification.userId,
            notification: presentNotification(notification),
          })
          .catch((error: unknown) =>
            logger.warn({ err: error, workspaceId }, 'notification event not published'),
          )
      }
      for (const sender of senders) {
        if (!notification.pushedTo.includes(sender.channel)) continue
        try {
          await sender.send({ workspaceId, notification })
        } catch (error) {
          logger.warn(
            { err: error, workspaceId, notificationId: notification.id, channel: sender.channel },
            'notification not delivered',
          )
        }
      }
    }
  }

  /** Turns newly raised (or re-opened) insights into notifications, per member preferences. */
  function notificationsFor({
    fresh,
    preferences,
    now,
    timeZone,
  }: {
    fresh: readonly UpsertedInsight[]
    preferences: Map<string, NotificationPreferences>
    now: Date
    timeZone: string
  }): NewNotification[] {
    const byMember = new Map<string, UpsertedInsight[]>()
    for (const insight of fresh) {
      const mine = byMember.get(insight.userId)
      if (mine) mine.push(insight)
      else byMember.set(insight.userId, [insight])
    }
    const result: NewNotification[] = []
    for (const [userId, insights] of byMember) {
      const preference = preferences.get(userId)!
      // Digest-only members hear about insights in the daily digest only.
      if (preference.digestOnly) continue
      const pushedTo = pushChannels({ preferences: preference, now, timeZone, available })
      insights.sort((left, right) => severityRank[left.severity] - severityRank[right.severity])
      if (insights.length > maxSingleNotifications) {
        const shown = insights.slice(0, 5).map((insight) => `- ${insight.title}`)
        const more = insights.length > shown.length ? [`- and ${insights.length - shown.length} more`] : []
        result.push({
          userId,
          kind: 'insights',
          title: `${insights.length} things need your attention`,
          body: [...shown, ...more].join('\n'),
          data: { insightIds: insights.slice(0, 100).map((insight) => insight.id), count: insights.length },
          pushedTo,
        })
        continue
      }
      for (const insight of insights) {
        result.push({
          userId,
          kind: 'insight',
          title: insight.title,
          body: insight.body,
          insightId: insight.id,
          // The label lets a client offer the insight's action as a button (the widget does).
          data: {
            type: insight.type,
            severity: insight.severity,
            ...(insight.actionLabel ? { actionLabel: insight.actionLabel } : {}),
          },
          pushedTo,
        })
      }
    }
    return result
  }

  async function runDetector(
    workspaceId: string,
    detector: InsightDetector,
    context: Omit<DetectorContext, 'tenant'>,
  ): Promise<{ outcome: DetectorOutcome; found: FingerprintedInsight[] }> {
    const started = performance.now()
    try {
      // Each detector reads in its own short transaction, so one failing query cannot abort the others.
      const found = await database.withTenant({ workspaceId }, (tenant) =>
        detector.detect({ ...context, tenant }),
      )
      const durationMs = performance.now() - started
      return {
        outcome: { type: detector.type, found: found.length, durationMs },
        // Serialized and fingerprinted as soon as this detector is done (outside any transaction),
        // while the others may still be reading.
        found: found.map(fingerprintInsight),
      }
    } catch (error) {
      logger.error({ err: error, workspaceId, detector: detector.type }, 'insight detector failed')
      return {
        outcome: {
          type: detector.type,
          found: 0,
          durationMs: performance.now() - started,
          error: error instanceof Error ? error.message : String(error),
        },
        found: [],
      }
    }
  }

  const actorFor = (actor: Actor) => ({ workspaceId: actor.workspaceId, userId: actor.userId })

  /**
   * Has the phraser write the bodies of findings that will be written (new, or changed since the
   * stored fingerprint), before the reconcile transaction: a model call never runs inside one. The
   * fingerprint stays the template's, so an unchanged finding is not phrased or rewritten again.
   */
  async function phraseChanged(
    workspaceId: string,
    found: FingerprintedInsight[],
  ): Promise<FingerprintedInsight[]> {
    if (!phraser || found.length === 0 || maxPhrasedPerRun <= 0) return found
    const known = await database.withTenant({ workspaceId }, (tenant) =>
      listUnresolvedInsights(tenant, { types: [...new Set(found.map(({ insight }) => insight.type))] }),
    )
    // New findings first (they are notified), then changed ones the member still sees as open or
    // snoozed; a dismissed or accepted insight's new facts keep the template.
    const changed = found.flatMap((entry) => {
      const stored = known.get(insightKey(entry.insight))
      if (!stored) return [{ entry, isNew: true }]
      const visible = stored.status === 'open' || stored.status === 'snoozed'
      return stored.fingerprint !== entry.fingerprint && visible ? [{ entry, isNew: false }] : []
    })
    const toPhrase = [...changed.filter(({ isNew }) => isNew), ...changed.filter(({ isNew }) => !isNew)]
      .slice(0, maxPhrasedPerRun)
      .map(({ entry }) => entry)
    // Two at a time: a background job should not flood the model server.
    const bodies = await mapConcurrently({
      items: toPhrase,
      concurrency: 2,
      map: (entry) => phraser.phrase({ insight: entry.insight }),
    })
    const phrased = new Map(toPhrase.map((entry, index) => [entry, bodies[index]]))
    return found.map((entry) => {
      const body = phrased.get(entry)
      return body ? withBody(entry, body) : entry
    })
  }

  /** The member's own insight; another member's (or another workspace's) is not found. */
  async function requireOwnInsight(
    tenant: TenantTransaction,
    actor: Actor,
    id: string,
  ): Promise<InsightRecord> {
    const insight = await findInsight(tenant, { id })
    // Why: an insight is addressed to one member; others (even in the same workspace) get 404, as
    // for conversations, so ids cannot be probed.
    if (!insight || insight.userId !== actor.userId) {
      // `details.insightId` tells callers this not-found is the insight's own, not one from the
      // suggested action's tool (accept runs it); it only echoes the id the caller gave.
      throw new AppError('not_found', { message: `No insight ${id} for you.`, details: { insightId: id } })
    }
    return insight
  }

  const conflict = (insight: InsightRecord, wanted: string) =>
    new AppError('conflict', { message: `The insight is ${insight.status}; it cannot be ${wanted}.` })

  const service = {
    /**
     * Runs every detector over one workspace and reconciles: new findings are raised and notified,
     * findings still present are refreshed silently, insights whose condition is gone are resolved
     * (only for detectors that succeeded this run), and snoozes that ended re-open and notify again.
     */
    async runInsights({ workspaceId }: { workspaceId: string }): Promise<InsightRunSummary> {
      const started = performance.now()
      const now = clock.now()
      const runId = ids()
      const workspace = await database.withTenant({ workspaceId }, loadWorkspace)
      const summary: InsightRunSummary = {
        workspaceId,
        runId,
        enabled: workspace.settings.enabled,
        raised: 0,
        refreshed: 0,
        resolved: 0,
        reopened: 0,
        notifications: 0,
        detectors: [],
        reconcileMs: 0,
        durationMs: 0,
      }
      if (workspace.invalid.length > 0) {
        logger.warn(
          { workspaceId, fields: workspace.invalid },
          'invalid insight settings ignored (defaults used)',
        )
      }
      if (!workspace.settings.enabled) return { ...summary, durationMs: performance.now() - started }
      const context = {
        now,
        settings: workspace.settings,
        timeZone: workspace.timeZone,
        members: workspace.members,
      }
      // The detectors read concurrently (each in its own transaction), so a real server spreads them
      // over its cores; the embedded database queues them.
      const results = await Promise.all(
        detectors.map((detector) => runDetector(workspaceId, detector, context)),
      )
      summary.detectors = results.map((result) => result.outcome)
      const found = await phraseChanged(
        workspaceId,
        results.flatMap((result) => result.found),
      )
      const reconcileStarted = performance.now()
      const succeeded = summary.detectors.filter((outcome) => !outcome.error).map((outcome) => outcome.type)
      const notifications = await database.withTenant({ workspaceId }, async (tenant) => {
        // One round trip tells what is new or changed (to write) and what vanished (to resolve), so
        // the run writes only the difference, in a few set-based statements.
        const known = await listUnresolvedInsights(tenant, { types: succeeded })
        const changed = found.filter(
          ({ insight, fingerprint }) => known.get(insightKey(insight))?.fingerprint !== fingerprint,
        )
        const foundKeys = new Set(found.map(({ insight }) => insightKey(insight)))
        const vanished = [...known].filter(([key]) => !foundKeys.has(key)).map(([, insight]) => insight.id)
        const inserted = await upsertInsights(tenant, { insights: changed, runId, now })
        const resolved = await resolveInsights(tenant, { ids: vanished, now })
        const woken = await wakeSnoozedInsights(tenant, { now })
        summary.raised = inserted.length
        summary.refreshed = found.length - inserted.length
        summary.resolved = resolved.length
        summary.reopened = woken.length
        const fresh = [...inserted, ...woken]
        if (fresh.length === 0) return []
        const preferences = await listNotificationPreferences(tenant, {
          userIds: [...new Set(fresh.map((insight) => insight.userId))],
        })
        return createNotifications(tenant, {
          notifications: notificationsFor({ fresh, preferences, now, timeZone: workspace.timeZone }),
          now,
        })
      })
      summary.reconcileMs = performance.now() - reconcileStarted
      summary.notifications = notifications.length
      await push(workspaceId, notifications)
      summary.durationMs = performance.now() - started
      logger.info(
        {
          workspaceId,
          runId,
          raised: summary.raised,
          resolved: summary.resolved,
          failed: summary.detectors.filter((outcome) => outcome.error).map((outcome) => outcome.type),
          durationMs: Math.round(summary.durationMs),
        },
        'insights run finished',
      )
      return summary
    },

    /**
     * The daily digest: one notification per member with their tasks due today (local day) and
     * their open insights, at most once per member and local date. Pushed per preferences
     * (digest-only members included; quiet hours still hold it back to the in-app list).
     */
    async runDigest({ workspaceId }: { workspaceId: string }): Promise<DigestSummary> {
      const now = clock.now()
      const { created, date } = await database.withTenant({ workspaceId }, async (tenant) => {
        const workspace = await loadWorkspace(tenant)
        const date = localDate(now, workspace.timeZone)
        const dueToday = await findTasksDueToday(tenant, { now, timeZone: workspace.timeZone })
        const openInsights = await selectRows<{ userId: string; count: number; titles: string[] }>(
          tenant,
          `SELECT user_id AS "userId", count(*)::int AS count,
                  (array_agg(title ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                             created_at DESC))[1:3] AS titles
             FROM proactive_insights WHERE status = 'open' GROUP BY user_id`,
        )
        const userIds = [
          ...new Set([
            ...dueToday.map((group) => group.assigneeId),
            ...openInsights.map((row) => row.userId),
          ]),
        ]
        const preferences = await listNotificationPreferences(tenant, { userIds })
        const notifications: NewNotification[] = userIds.map((userId) => {
          const due = dueToday.find((group) => group.assigneeId === userId)
          const open = openInsights.find((row) => row.userId === userId)
          const lines: string[] = []
          if (due) {
            lines.push(`Due today (${due.count}):`)
            for (const task of due.tasks) lines.push(`- ${task.title}`)
            if (due.count > due.tasks.length) lines.push(`- and ${due.count - due.tasks.length} more`)
          }
          if (open) {
            lines.push(`Open insights (${open.count}):`)
            for (const title of open.titles) lines.push(`- ${title}`)
          }
          const parts = [
            due ? `${due.count} task${due.count === 1 ? '' : 's'} due today` : undefined,
            open ? `${open.count} open insight${open.count === 1 ? '' : 's'}` : undefined,
          ].filter(Boolean)
          return {
            userId,
            kind: 'digest',
            title: `Your day: ${parts.join(', ')}`,
            body: lines.join('\n'),
            data: {
              date,
              dueToday: due?.tasks.map((task) => task.id) ?? [],
              dueTodayCount: due?.count ?? 0,
              openInsights: open?.count ?? 0,
            },
            dedupeKey: `digest:${date}`,
            pushedTo: pushChannels({
              preferences: preferences.get(userId)!,
              now,
              timeZone: workspace.timeZone,
              available,
            }),
          }
        })
        return { created: await createNotifications(tenant, { notifications, now }), date }
      })
      await push(workspaceId, created)
      return { workspaceId, date, notifications: created.length }
    },

    /**
     * Runs every workspace (or the given ones) one after the other. A workspace that fails is
     * reported with its error and the others still run.
     */
    async runAllInsights({
      workspaceIds,
    }: {
      workspaceIds?: readonly string[] | undefined
    } = {}): Promise<(InsightRunSummary | { workspaceId: string; error: string })[]> {
      // Why the system connection: listing every workspace is not tenant work; each run is.
      const targets =
        workspaceIds ??
        (await database.withSystem(async ({ sequelize, transaction }) => {
          const [rows] = await sequelize.query('SELECT id FROM workspaces ORDER BY created_at, id', {
            transaction,
          })
          return (rows as { id: string }[]).map((row) => row.id)
        }))
      const results: (InsightRunSummary | { workspaceId: string; error: string })[] = []
      for (const workspaceId of targets) {
        try {
          results.push(await service.runInsights({ workspaceId }))
        } catch (error) {
          logger.error({ err: error, workspaceId }, 'insights run failed')
          results.push({ workspaceId, error: error instanceof Error ? error.message : String(error) })
        }
      }
      return results
    },

    /** The member's insights (newest first), optionally only those in some statuses. */
    async listInsights({
      actor,
      statuses,
      limit,
      offset,
    }: {
      actor: Actor
      statuses?: readonly InsightStatus[] | undefined
      limit: number
      offset: number
    }): Promise<InsightRecord[]> {
      return database.withTenant(actorFor(actor), (tenant) =>
        listInsights(tenant, { userId: actor.userId, statuses, limit, offset }),
      )
    },

    /** Dismisses an open or snoozed insight: it stays quiet until its condition clears. */
    async dismiss({ actor, id }: { actor: Actor; id: string }): Promise<InsightRecord> {
      return database.withTenant(actorFor(actor), async (tenant) => {
        const insight = await requireOwnInsight(tenant, actor, id)
        const updated = await transitionInsight(tenant, {
          id,
          from: ['open', 'snoozed'],
          status: 'dismissed',
          now: clock.now(),
        })
        if (!updated) throw conflict(insight, 'dismissed')
        return updated
      })
    },

    /** Snoozes an open (or already snoozed) insight until `until` (future, at most 90 days). */
    async snooze({ actor, id, until }: { actor: Actor; id: string; until: Date }): Promise<InsightRecord> {
      const now = clock.now()
      if (until.getTime() <= now.getTime()) {
        throw new AppError('validation_failed', { message: 'Snooze until a time in the future.' })
      }
      if (until.getTime() - now.getTime() > snoozeLimitMs) {
        throw new AppError('validation_failed', { message: 'Snooze for at most 90 days.' })
      }
      return database.withTenant(actorFor(actor), async (tenant) => {
        const insight = await requireOwnInsight(tenant, actor, id)
        const updated = await transitionInsight(tenant, {
          id,
          from: ['open', 'snoozed'],
          status: 'snoozed',
          snoozedUntil: until,
          now,
        })
        if (!updated) throw conflict(insight, 'snoozed')
        return updated
      })
    },

    /**
     * Accepts an insight: its suggested action runs as the member through the tool service, so the
     * autonomy policy decides (it may become a pending action awaiting approval). The insight is
     * claimed first (a second accept is a 409); if the tool refuses, the claim is undone.
     */
    async accept({
      actor,
      id,
    }: {
      actor: Actor
      id: string
    }): Promise<{ insight: InsightRecord; action: InvokeResult }> {
      const now = clock.now()
      const claimed = await database.withTenant(actorFor(actor), async (tenant) => {
        const insight = await requireOwnInsight(tenant, actor, id)
        if (!insight.suggestedAction) {
          throw new AppError('conflict', { message: 'This insight has no suggested action to accept.' })
        }
        const updated = await transitionInsight(tenant, {
          id,
          from: ['open', 'snoozed'],
          status: 'accepted',
          now,
        })
        if (!updated) throw conflict(insight, 'accepted')
        return { previous: insight, suggested: insight.suggestedAction }
      })
      const input = withRelativeDates(claimed.suggested.input, claimed.suggested.relativeDates, now)
      let action: InvokeResult
      try {
        // Outside any transaction: the tool service opens its own (and may wait for approval).
        action = await toolService.invoke({
          actor: { ...actor, channel: 'insight' },
          name: claimed.suggested.tool,
          input,
        })
      } catch (error) {
        await database.withTenant(actorFor(actor), (tenant) =>
          transitionInsight(tenant, {
            id,
            from: ['accepted'],
            status: claimed.previous.status,
            snoozedUntil: claimed.previous.snoozedUntil,
            now,
          }),
        )
        throw error
      }
      const insight = await database.withTenant(actorFor(actor), async (tenant) => {
        await selectRows(
          tenant,
          'UPDATE proactive_insights SET action_id = :actionId, action_status = :status WHERE id = :id RETURNING id',
          { actionId: action.actionId, status: action.status, id },
        )
        return (await findInsight(tenant, { id }))!
      })
      return { insight, action }
    },

    /**
     * Keeps `action_status` of accepted insights in step with decisions taken anywhere (an approval
     * from Slack, the widget or the API). Returns the unsubscribe function.
     */
    listen(): () => void {
      return bus.subscribe((event) => {
        if (
          event.type !== 'action.updated' ||
          typeof event.actionId !== 'string' ||
          typeof event.status !== 'string'
        )
          return
        const { actionId, status } = event as unknown as { actionId: string; status: string }
        void database
          .withTenant({ workspaceId: event.workspaceId }, (tenant) =>
            setInsightActionStatus(tenant, { actionId, actionStatus: status }),
          )
          .catch((error: unknown) =>
            logger.warn({ err: error, actionId }, 'insight action status not updated'),
          )
      })
    },

    /** The workspace's effective insight settings and the fields it overrides. */
    async getSettings({
      actor,
    }: {
      actor: Actor
    }): Promise<{ settings: InsightSettings; overrides: string[] }> {
      return database.withTenant(actorFor(actor), async (tenant) => {
        const { settings: raw } = await readInsightSettings(tenant)
        const { settings, invalid } = resolveInsightSettings(raw)
        const overrides =
          raw && typeof raw === 'object' ? Object.keys(raw).filter((key) => !invalid.includes(key)) : []
        return { settings, overrides }
      })
    },

    /**
     * Changes the workspace's insight settings (owners and admins): given fields are set, `null`
     * returns a field to its default. Invalid values are a 400 naming the field.
     */
    async saveSettings({
      actor,
      changes,
    }: {
      actor: Actor
      changes: Record<string, unknown>
    }): Promise<{ settings: InsightSettings; overrides: string[] }> {
      // Why: thresholds decide what every member of the workspace is told.
      if (actor.role !== 'owner' && actor.role !== 'admin') {
        throw new AppError('forbidden', { message: 'Only owners and admins can change insight settings.' })
      }
      const shape = insightSettingsSchema.shape
      for (const [key, value] of Object.entries(changes)) {
        const field = shape[key as keyof typeof shape]
        if (!field) throw new AppError('validation_failed', { message: `Unknown insight setting "${key}".` })
        if (value !== null && !field.safeParse(value).success) {
          throw new AppError('validation_failed', { message: `Invalid value for insight setting "${key}".` })
        }
      }
      await database.withTenant(actorFor(actor), async (tenant) => {
        const { settings: raw } = await readInsightSettings(tenant)
        const stored: Record<string, unknown> = raw && typeof raw === 'object' ? { ...(raw as object) } : {}
        for (const [key, value] of Object.entries(changes)) {
          if (value === null) delete stored[key]
          else stored[key] = value
        }
        await saveInsightSettings(tenant, { settings: stored })
      })
      return service.getSettings({ actor })
    },

    /** The member's notifications, newest first. */
    async listNotifications({
      actor,
      unread,
      limit,
      offset,
    }: {
      actor: Actor
      unread?: boolean | undefined
      limit: number
      offset: number
    }): Promise<NotificationRecord[]> {
      return database.withTenant(actorFor(actor), (tenant) =>
        listNotifications(tenant, { userId: actor.userId, unread, limit, offset }),
      )
    },

    /** Marks one of the member's notifications read (404 for anyone else's). */
    async markNotificationRead({ actor, id }: { actor: Actor; id: string }): Promise<NotificationRecord> {
      const updated = await database.withTenant(actorFor(actor), (tenant) =>
        markNotificationRead(tenant, { id, userId: actor.userId, now: clock.now() }),
      )
      if (!updated) throw new AppError('not_found', { message: `No notification ${id} for you.` })
      return updated
    },

    /** The member's notification preferences (defaults when never set). */
    async getPreferences({ actor }: { actor: Actor }): Promise<NotificationPreferences> {
      return database.withTenant(actorFor(actor), async (tenant) => {
        const preferences = await listNotificationPreferences(tenant, { userIds: [actor.userId] })
        return preferences.get(actor.userId)!
      })
    },

    /** Replaces the member's notification preferences. */
    async savePreferences({
      actor,
      preferences,
    }: {
      actor: Actor
      preferences: Omit<NotificationPreferences, 'userId'>
    }): Promise<NotificationPreferences> {
      return database.withTenant(actorFor(actor), (tenant) =>
        saveNotificationPreferences(tenant, { ...preferences, userId: actor.userId }),
      )
    },
  }
  return service
}

export type InsightService = ReturnType<typeof createInsightService>

/** Fills `relativeDates` fields with now + N days: a date for `expectedCloseDate`, else an ISO date-time. */
export function withRelativeDates(
  input: Record<string, unknown>,
  relativeDates: Record<string, number> | undefined,
  now: Date,
): Record<string, unknown> {
  if (!relativeDates) return input
  const result = { ...input }
  for (const [field, days] of Object.entries(relativeDates)) {
    const at = new Date(now.getTime() + days * 24 * 60 * 60 * 1000)
    result[field] = field === 'expectedCloseDate' ? at.toISOString().slice(0, 10) : at.toISOString()
  }
  return result
}

/** A notification as the API and the widget show it. */
export function presentNotification(notification: NotificationRecord) {
  return {
    id: notification.id,
    kind: notification.kind,
    title: notification.title,
    body: notification.body,
    insightId: notification.insightId,
    data: notification.data,
    readAt: notification.readAt,
    createdAt: notification.createdAt,
  }
}

/** An insight as the API shows it. */
export function presentInsight(insight: InsightRecord) {
  return {
    id: insight.id,
    type: insight.type,
    severity: insight.severity,
    title: insight.title,
    body: insight.body,
    entities: insight.entities,
    status: insight.status,
    suggestedAction: insight.suggestedAction
      ? {
          tool: insight.suggestedAction.tool,
          label: insight.suggestedAction.label,
          input: insight.suggestedAction.input,
        }
      : null,
    snoozedUntil: insight.snoozedUntil,
    actionId: insight.actionId,
    actionStatus: insight.actionStatus,
    firstDetectedAt: insight.firstDetectedAt,
    updatedAt: insight.updatedAt,
    resolvedAt: insight.resolvedAt,
    createdAt: insight.createdAt,
  }
}

export type { InsightSettings }
