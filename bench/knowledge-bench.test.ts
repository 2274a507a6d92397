import { describe, expect, it } from 'vitest'
import { type Hit, sourceFoundOf, vectorRecallOf } from './knowledge-bench.ts'

const hits = (entries: [string, number][]): Hit[] => entries.map(([id, distance]) => ({ id, distance }))

describe('vectorRecallOf', () => {
  const exact = [
    hits([
      ['a', 0.1],
      ['b', 0.2],
      ['c', 0.3],
    ]),
  ]

  it('counts the exact ids found, and whether the nearest one is among them', () => {
    const found = [
      hits([
        ['a', 0.1],
        ['b', 0.2],
        ['x', 0.45],
      ]),
    ]
    expect(vectorRecallOf(found, exact)).toMatchObject({ recall: 0.667, top1: 1, tieAware: 0.667 })
  })

  it('counts a different chunk at the same distance as the 10th as right only in the tie-aware recall', () => {
    // "y" ties with "c" (within ann-benchmarks' 0.001): exact search could have returned either.
    const found = [
      hits([
        ['a', 0.1],
        ['b', 0.2],
        ['y', 0.3005],
      ]),
    ]
    expect(vectorRecallOf(found, exact)).toMatchObject({ recall: 0.667, tieAware: 1, near: 1 })
  })

  it('does not count a chunk just beyond the tolerance, nor the missing nearest one', () => {
    const found = [
      hits([
        ['b', 0.2],
        ['c', 0.3],
        ['z', 0.302],
      ]),
    ]
    expect(vectorRecallOf(found, exact)).toMatchObject({ recall: 0.667, top1: 0, tieAware: 0.667, near: 1 })
  })
})

describe('sourceFoundOf', () => {
  it('counts a query whose source chunk was returned, and separately one where it came first', () => {
    const queries = [{ source: 'alpha' }, { source: 'beta' }, { source: 'gamma' }, { source: 'delta' }]
    const returned = [['alpha', 'x'], ['x', 'beta'], ['x', 'y'], []]
    expect(sourceFoundOf(returned, queries)).toEqual({ inTop: 0.5, first: 0.25 })
  })

  it('treats a query with no recorded results as not found', () => {
    expect(sourceFoundOf([], [{ source: 'alpha' }])).toEqual({ inTop: 0, first: 0 })
  })
})
