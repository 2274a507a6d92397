import { describe, expect, it } from 'vitest'
import { createTokenSource, refreshDelay } from './token-source.ts'

function fakeTimers() {
  let now = 1_000_000
  const timers: { at: number; callback: () => void; id: number }[] = []
  let ids = 0
  return {
    now: () => now,
    setTimer: (callback: () => void, ms: number) => {
      ids += 1
      timers.push({ at: now + ms, callback, id: ids })
      return ids
    },
    clearTimer: (id: unknown) => {
      const index = timers.findIndex((timer) => timer.id === id)
      if (index >= 0) timers.splice(index, 1)
    },
    /** Moves the clock to the next timer and runs it. */
    async next() {
      timers.sort((a, b) => a.at - b.at)
      const timer = timers.shift()
      if (!timer) throw new Error('no timer')
      now = timer.at
      timer.callback()
      await new Promise((resolve) => setTimeout(resolve, 0))
    },
    pending: () => timers.map((timer) => timer.at - now),
  }
}

const json = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
  })

describe('refreshDelay', () => {
  it('refreshes a minute before a long token expires and at three quarters of a short one', () => {
    expect(refreshDelay(60 * 60_000)).toBe(59 * 60_000)
    expect(refreshDelay(8000)).toBe(6000)
    expect(refreshDelay(500)).toBe(1000)
    expect(refreshDelay(-1)).toBe(0)
  })
})

describe('createTokenSource', () => {
  it('fetches from the token URL with cookies, refreshes before expiry and reports the fresh token', async () => {
    const timers = fakeTimers()
    const calls: RequestInit[] = []
    let issued = 0
    const refreshed: string[] = []
    const source = createTokenSource({
      tokenUrl: 'https://host.example/api/nereid-token',
      fetchImpl: async (_url, init) => {
        calls.push(init ?? {})
        issued += 1
        return json({ token: `t${issued}`, expiresAt: new Date(timers.now() + 3_600_000).toISOString() })
      },
      now: timers.now,
      setTimer: timers.setTimer,
      clearTimer: timers.clearTimer,
      onRefresh: (token) => refreshed.push(token.token),
    })
    expect(await source.get()).toBe('t1')
    expect(await source.get()).toBe('t1')
    expect(calls[0]).toMatchObject({ method: 'POST', credentials: 'include' })
    expect(timers.pending()).toEqual([59 * 60_000])
    await timers.next()
    expect(refreshed).toEqual(['t2'])
    expect(await source.get()).toBe('t2')
    // The server refused the token: a fresh one on request.
    expect(await source.get({ fresh: true })).toBe('t3')
    source.stop()
    expect(timers.pending()).toEqual([])
  })

  it('corrects for a skewed browser clock with the Date header', async () => {
    const timers = fakeTimers()
    const serverNow = timers.now() - 10 * 60_000
    const source = createTokenSource({
      tokenUrl: '/token',
      fetchImpl: async () =>
        json(
          { token: 't', expiresAt: new Date(serverNow + 3_600_000).toISOString() },
          { date: new Date(serverNow).toUTCString() },
        ),
      now: timers.now,
      setTimer: timers.setTimer,
      clearTimer: timers.clearTimer,
    })
    await source.get()
    expect(Math.round((source.current()!.expiresAt! - timers.now()) / 1000)).toBe(3600)
  })

  it('retries a failing token URL with growing delays and says why', async () => {
    const timers = fakeTimers()
    const errors: string[] = []
    const source = createTokenSource({
      tokenUrl: '/token',
      fetchImpl: async () => new Response('no', { status: 503 }),
      now: timers.now,
      setTimer: timers.setTimer,
      clearTimer: timers.clearTimer,
      onError: (error) => errors.push(error.message),
    })
    await expect(source.get()).rejects.toThrow('The token URL answered 503.')
    expect(timers.pending()).toEqual([5000])
    await timers.next()
    expect(timers.pending()).toEqual([10_000])
    expect(errors).toHaveLength(2)
    source.stop()
  })

  it('uses a fixed token as is and cannot renew it', async () => {
    const source = createTokenSource({ token: 'fixed' })
    expect(source.renewable).toBe(false)
    expect(await source.get({ fresh: true })).toBe('fixed')
    await expect(createTokenSource({}).get()).rejects.toThrow(/No widget token/)
  })
})
