import { Router } from 'express'
import { z } from 'zod'
import { type InsightService, presentInsight, presentNotification } from '../../../assistant/index.ts'
import { AppError } from '../../../core/index.ts'
import { insightStatuses, notificationChannels } from '../../../db/index.ts'
import type { Actor } from '../../../tools/index.ts'
import { pageOf, pagingQueryShape } from '../paging.ts'
import { getRequestContext, type RequestContext } from '../request-context.ts'
import { validateInput } from '../validate-input.ts'

const idParameter = z.object({ id: z.uuid({ message: 'expected an id (uuid)' }) })
const insightsQuery = z
  .object({
    // One status or a comma-separated list (`open,snoozed`).
    status: z
      .string()
      .transform((value) => value.split(',').map((part) => part.trim()))
      .pipe(z.array(z.enum(insightStatuses)).min(1))
      .optional(),
    ...pagingQueryShape,
  })
  .strict()
const settingsBody = z.record(z.string(), z.unknown())
const notificationsQuery = z
  .object({ unread: z.enum(['true', 'false']).optional(), ...pagingQueryShape })
  .strict()
const snoozeBody = z
  .object({ until: z.iso.datetime({ offset: true, message: 'expected an ISO 8601 date-time' }) })
  .strict()
/** "22:00" -> 1320. */
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day as HH:MM')
  .transform((value) => Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5)))
const preferencesBody = z
  .object({
    channels: z.array(z.enum(notificationChannels)).max(notificationChannels.length),
    quietHours: z.object({ start: clockTime, end: clockTime }).strict().nullable().default(null),
    digestOnly: z.boolean().default(false),
  })
  .strict()

const timeOfDay = (minute: number | null) =>
  minute === null
    ? null
    : `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`

function actorOf(context: RequestContext): Actor {
  return { workspaceId: context.workspaceId, userId: context.userId, role: context.role, channel: 'api' }
}

/**
 * Insights, notifications and notification preferences of the calling member. Every route acts for
 * the member the request names: another member's insight or notification is a 404.
 */
export function createInsightRoutes({ insights }: { insights: InsightService }): Router {
  const router = Router()

  router.get('/insights', async (request, response) => {
    const { status, limit, offset } = validateInput({
      schema: insightsQuery,
      input: request.query,
      what: 'query parameter',
    })
    const rows = await insights.listInsights({
      actor: actorOf(getRequestContext(request)),
      statuses: status,
      limit,
      offset,
    })
    response.json({ data: rows.map(presentInsight), page: pageOf({ count: rows.length, limit, offset }) })
  })

  router.post('/insights/run', async (request, response) => {
    const context = getRequestContext(request)
    // Why admins only: a run writes insights and notifications for every member of the workspace.
    if (context.role !== 'owner' && context.role !== 'admin') {
      throw new AppError('forbidden', { message: 'Only owners and admins can run the insight detectors.' })
    }
    response.json(await insights.runInsights({ workspaceId: context.workspaceId }))
  })

  router.get('/insights/settings', async (request, response) => {
    response.json(await insights.getSettings({ actor: actorOf(getRequestContext(request)) }))
  })

  router.put('/insights/settings', async (request, response) => {
    const changes = validateInput({ schema: settingsBody, input: request.body ?? {}, what: 'field' })
    response.json(await insights.saveSettings({ actor: actorOf(getRequestContext(request)), changes }))
  })

  router.post('/insights/:id/dismiss', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    response.json(presentInsight(await insights.dismiss({ actor: actorOf(getRequestContext(request)), id })))
  })

  router.post('/insights/:id/snooze', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    const { until } = validateInput({ schema: snoozeBody, input: request.body ?? {}, what: 'field' })
    response.json(
      presentInsight(
        await insights.snooze({ actor: actorOf(getRequestContext(request)), id, until: new Date(until) }),
      ),
    )
  })

  router.post('/insights/:id/accept', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    const { insight, action } = await insights.accept({ actor: actorOf(getRequestContext(request)), id })
    response
      .status(action.status === 'pending' ? 202 : 200)
      .json({ insight: presentInsight(insight), action })
  })

  router.get('/notifications/preferences', async (request, response) => {
    response.json(
      presentPreferences(await insights.getPreferences({ actor: actorOf(getRequestContext(request)) })),
    )
  })

  router.put('/notifications/preferences', async (request, response) => {
    const body = validateInput({ schema: preferencesBody, input: request.body ?? {}, what: 'field' })
    const saved = await insights.savePreferences({
      actor: actorOf(getRequestContext(request)),
      preferences: {
        channels: [...new Set(body.channels)],
        quietStartMinute: body.quietHours?.start ?? null,
        quietEndMinute: body.quietHours?.end ?? null,
        digestOnly: body.digestOnly,
      },
    })
    response.json(presentPreferences(saved))
  })

  router.get('/notifications', async (request, response) => {
    const { unread, limit, offset } = validateInput({
      schema: notificationsQuery,
      input: request.query,
      what: 'query parameter',
    })
    const rows = await insights.listNotifications({
      actor: actorOf(getRequestContext(request)),
      unread: unread === 'true',
      limit,
      offset,
    })
    response.json({
      data: rows.map(presentNotification),
      page: pageOf({ count: rows.length, limit, offset }),
    })
  })

  router.post('/notifications/:id/read', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    response.json(
      presentNotification(
        await insights.markNotificationRead({ actor: actorOf(getRequestContext(request)), id }),
      ),
    )
  })

  return router
}

function presentPreferences(preferences: {
  channels: string[]
  quietStartMinute: number | null
  quietEndMinute: number | null
  digestOnly: boolean
}) {
  return {
    channels: preferences.channels,
    quietHours:
      preferences.quietStartMinute === null
        ? null
        : { start: timeOfDay(preferences.quietStartMinute), end: timeOfDay(preferences.quietEndMinute) },
    digestOnly: preferences.digestOnly,
  }
}
