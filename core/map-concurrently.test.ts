import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { mapConcurrently } from './map-concurrently.ts'

describe('mapConcurrently', () => {
  it('keeps the order of the items with at most `concurrency` calls in flight', async () => {
    let inFlight = 0
    let most = 0
    const results = await mapConcurrently({
      items: [30, 5, 20, 1, 10],
      concurrency: 2,
      map: async (delay, index) => {
        inFlight += 1
        most = Math.max(most, inFlight)
        await sleep(delay)
        inFlight -= 1
        return `${index}:${delay}`
      },
    })
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10'])
    expect(most).toBe(2)
  })

  it('starts no further item once the signal is aborted', async () => {
    const controller = new AbortController()
    const started: number[] = []
    await mapConcurrently({
      items: [0, 1, 2, 3],
      concurrency: 1,
      signal: controller.signal,
      map: async (item) => {
        started.push(item)
        if (item === 1) controller.abort()
      },
    })
    expect(started).toEqual([0, 1])
  })
})
