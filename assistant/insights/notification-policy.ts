import type { NotificationChannel, NotificationPreferences } from '../../db/index.ts'

/** Minutes after local midnight of `now` in `timeZone`. */
export function localMinuteOfDay(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now)
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0)
  return value('hour') * 60 + value('minute')
}

/** The local calendar date of `now` in `timeZone`, as YYYY-MM-DD. */
export function localDate(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now)
}

/** True when `now` falls in the member's quiet hours (a window may wrap past midnight, e.g. 22:00-07:00). */
export function inQuietHours({
  preferences,
  now,
  timeZone,
}: {
  preferences: Pick<NotificationPreferences, 'quietStartMinute' | 'quietEndMinute'>
  now: Date
  timeZone: string
}): boolean {
  const { quietStartMinute: start, quietEndMinute: end } = preferences
  if (start === null || end === null || start === end) return false
  const minute = localMinuteOfDay(now, timeZone)
  return start < end ? minute >= start && minute < end : minute >= start || minute < end
}

/**
 * Where a notification is pushed beyond the in-app list: the member's channels that this process can
 * deliver to, none in quiet hours. (`digestOnly` is decided by the caller: single insights of a
 * digest-only member create no notification at all.)
 */
export function pushChannels({
  preferences,
  now,
  timeZone,
  available,
}: {
  preferences: NotificationPreferences
  now: Date
  timeZone: string
  available: ReadonlySet<NotificationChannel>
}): NotificationChannel[] {
  if (inQuietHours({ preferences, now, timeZone })) return []
  return preferences.channels.filter((channel) => available.has(channel))
}
