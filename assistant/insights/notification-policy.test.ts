import { describe, expect, it } from 'vitest'
import { withRelativeDates } from './insight-service.ts'
import { resolveInsightSettings } from './insight-settings.ts'
import { inQuietHours, localDate, pushChannels } from './notification-policy.ts'

const quiet = (start: number | null, end: number | null) => ({ quietStartMinute: start, quietEndMinute: end })

describe('quiet hours', () => {
  it('hold inside a window, including one that wraps past midnight, in the workspace time zone', () => {
    const at = (iso: string) => new Date(iso)
    // 22:00-07:00 in Berlin (UTC+1 in winter).
    const window = quiet(22 * 60, 7 * 60)
    expect(
      inQuietHours({ preferences: window, now: at('2026-03-02T21:30:00Z'), timeZone: 'Europe/Berlin' }),
    ).toBe(true)
    expect(
      inQuietHours({ preferences: window, now: at('2026-03-02T05:30:00Z'), timeZone: 'Europe/Berlin' }),
    ).toBe(true)
    expect(
      inQuietHours({ preferences: window, now: at('2026-03-02T06:30:00Z'), timeZone: 'Europe/Berlin' }),
    ).toBe(false)
    expect(
      inQuietHours({ preferences: quiet(9 * 60, 17 * 60), now: at('2026-03-02T12:00:00Z'), timeZone: 'UTC' }),
    ).toBe(true)
    expect(
      inQuietHours({ preferences: quiet(null, null), now: at('2026-03-02T12:00:00Z'), timeZone: 'UTC' }),
    ).toBe(false)
  })

  it('push only to channels the member chose and this process can reach, none in quiet hours', () => {
    const preferences = {
      userId: 'u',
      channels: ['widget', 'slack'] as ('widget' | 'slack')[],
      digestOnly: false,
    }
    const now = new Date('2026-03-02T12:00:00Z')
    expect(
      pushChannels({
        preferences: { ...preferences, ...quiet(null, null) },
        now,
        timeZone: 'UTC',
        available: new Set(['widget']),
      }),
    ).toEqual(['widget'])
    expect(
      pushChannels({
        preferences: { ...preferences, ...quiet(0, 1439) },
        now,
        timeZone: 'UTC',
        available: new Set(['widget', 'slack']),
      }),
    ).toEqual([])
  })

  it('dates are local to the workspace', () => {
    expect(localDate(new Date('2026-03-02T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-03-03')
    expect(localDate(new Date('2026-03-02T23:30:00Z'), 'UTC')).toBe('2026-03-02')
  })
})

describe('suggested actions and settings', () => {
  it('fill relative dates at accept time: a date for expectedCloseDate, else a date-time', () => {
    const now = new Date('2026-03-02T09:00:00Z')
    expect(withRelativeDates({ dealId: 'd' }, { expectedCloseDate: 14 }, now)).toEqual({
      dealId: 'd',
      expectedCloseDate: '2026-03-16',
    })
    expect(withRelativeDates({ title: 't' }, { dueAt: 1 }, now)).toEqual({
      title: 't',
      dueAt: '2026-03-03T09:00:00.000Z',
    })
  })

  it('take valid workspace overrides and ignore invalid ones', () => {
    const { settings, invalid } = resolveInsightSettings({
      staleDealDays: 21,
      hotProspectScore: 'high',
      nope: 1,
    })
    expect(settings.staleDealDays).toBe(21)
    expect(settings.hotProspectScore).toBe(80)
    expect(invalid.sort()).toEqual(['hotProspectScore', 'nope'])
  })
})
