/**
 * Where the widget's token comes from: a fixed `token`, a `fetchToken` callback, or `tokenUrl` (the
 * host app's backend, which mints one with `POST /v1/widget/token` for its signed-in user). Tokens
 * expire (default 1 h), so a fresh one is fetched before expiry and `onRefresh` lets the connection
 * switch to it.
 */
export interface WidgetToken {
  token: string
  /** When it expires, in this browser's clock (corrected for clock skew when the server sent a Date). */
  expiresAt?: number
}

export interface TokenSourceOptions {
  token?: string | undefined
  tokenUrl?: string | undefined
  fetchToken?: (() => Promise<{ token: string; expiresAt?: string | number | Date }>) | undefined
  fetchImpl?: typeof fetch
  now?: () => number
  setTimer?: (callback: () => void, ms: number) => unknown
  clearTimer?: (timer: unknown) => void
  /** Called with every token fetched by the refresh schedule (not by `get`). */
  onRefresh?: (token: WidgetToken) => void
  /** Called when fetching fails (the schedule retries). */
  onError?: (error: Error) => void
}

export interface TokenSource {
  /** The current token, or a fresh one (`fresh`: the server refused the current one). */
  get(options?: { fresh?: boolean }): Promise<string>
  /** True when a new token can be fetched (not a fixed `token`). */
  readonly renewable: boolean
  current(): WidgetToken | undefined
  stop(): void
}

/** When to refresh a token that lives `lifetime` ms: a minute before expiry, earlier for short ones. */
export function refreshDelay(lifetime: number): number {
  if (lifetime <= 0) return 0
  return Math.max(1000, lifetime > 4 * 60_000 ? lifetime - 60_000 : lifetime * 0.75)
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const now = options.now ?? Date.now
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms))
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>))
  const fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init))
  const renewable = Boolean(options.tokenUrl || options.fetchToken)
  let current: WidgetToken | undefined = options.token ? { token: options.token } : undefined
  let inFlight: Promise<WidgetToken> | undefined
  let timer: unknown
  let failures = 0
  let stopped = false

  async function fetchFromUrl(): Promise<WidgetToken> {
    const response = await fetchImpl(options.tokenUrl!, {
      method: 'POST',
      credentials: 'include',
      headers: { accept: 'application/json' },
    })
    if (!response.ok) throw new Error(`The token URL answered ${response.status}.`)
    const body = (await response.json()) as { token?: unknown; expiresAt?: unknown }
    if (typeof body.token !== 'string' || !body.token) throw new Error('The token URL sent no token.')
    const serverDate = Date.parse(response.headers.get('date') ?? '')
    const skew = Number.isNaN(serverDate) ? 0 : now() - serverDate
    return { token: body.token, ...expiryOf(body.expiresAt, skew) }
  }

  async function fetchFromCallback(): Promise<WidgetToken> {
    const body = await options.fetchToken!()
    if (!body || typeof body.token !== 'string' || !body.token)
      throw new Error('fetchToken returned no token.')
    return { token: body.token, ...expiryOf(body.expiresAt, 0) }
  }

  function expiryOf(value: unknown, skew: number): { expiresAt?: number } {
    const at =
      value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value))
    // Skew under a few seconds is noise; above it, the server's clock decides when the token dies.
    return Number.isFinite(at) ? { expiresAt: at + (Math.abs(skew) > 5000 ? skew : 0) } : {}
  }

  function schedule(): void {
    if (timer !== undefined) clearTimer(timer)
    timer = undefined
    if (stopped || !renewable || current?.expiresAt === undefined) return
    const delay = refreshDelay(current.expiresAt - now())
    timer = setTimer(() => {
      timer = undefined
      refresh()
        .then((token) => options.onRefresh?.(token))
        .catch(() => undefined)
    }, delay)
  }

  function refresh(): Promise<WidgetToken> {
    if (!inFlight) {
      inFlight = (options.fetchToken ? fetchFromCallback() : fetchFromUrl())
        .then((token) => {
          current = token
          failures = 0
          schedule()
          return token
        })
        .catch((error: unknown) => {
          failures += 1
          const reason = error instanceof Error ? error : new Error(String(error))
          options.onError?.(reason)
          // Try again soon (5 s, 10 s, ... 1 min), well before a token that still works expires.
          if (!stopped) {
            if (timer !== undefined) clearTimer(timer)
            timer = setTimer(
              () => {
                timer = undefined
                refresh()
                  .then((token) => options.onRefresh?.(token))
                  .catch(() => undefined)
              },
              Math.min(60_000, 5000 * 2 ** (failures - 1)),
            )
          }
          throw reason
        })
        .finally(() => {
          inFlight = undefined
        })
    }
    return inFlight
  }

  return {
    renewable,
    async get({ fresh = false } = {}) {
      const stale = current?.expiresAt !== undefined && current.expiresAt - now() < 5000
      if (current && !(renewable && (fresh || stale))) return current.token
      if (!renewable) throw new Error('No widget token: pass token, tokenUrl or fetchToken.')
      return (await refresh()).token
    },
    current: () => current,
    stop() {
      stopped = true
      if (timer !== undefined) clearTimer(timer)
      timer = undefined
    },
  }
}
