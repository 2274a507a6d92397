/** One measured operation: latency percentiles over timed runs after warm-up. */
export interface Measurement {
  name: string
  runs: number
  p50Ms: number
  p95Ms: number
  meanMs: number
}

function percentile(sorted: number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))
  return sorted[index]!
}

/** Runs `operation` `warmup` times untimed, then `runs` times timed, one after another. */
export async function measure({
  name,
  operation,
  runs = 200,
  warmup = 20,
}: {
  name: string
  operation: () => Promise<unknown>
  runs?: number
  warmup?: number
}): Promise<Measurement> {
  for (let index = 0; index < warmup; index += 1) await operation()
  const durations: number[] = []
  for (let index = 0; index < runs; index += 1) {
    const started = performance.now()
    await operation()
    durations.push(performance.now() - started)
  }
  return summarizeDurations({ name, durations })
}

/** Percentiles (p50, p95) and mean of durations measured elsewhere, in ms (rounded to the µs). */
export function summarizeDurations({ name, durations }: { name: string; durations: number[] }): Measurement {
  const sorted = [...durations].sort((left, right) => left - right)
  const round = (value: number) => Math.round(value * 1000) / 1000
  return {
    name,
    runs: sorted.length,
    p50Ms: sorted.length ? round(percentile(sorted, 0.5)) : Number.NaN,
    p95Ms: sorted.length ? round(percentile(sorted, 0.95)) : Number.NaN,
    meanMs: sorted.length ? round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length) : Number.NaN,
  }
}
