/** The widget's options, from `Nereid.init(options)` and/or its script tag's `data-*` attributes. */
export interface WidgetOptions {
  /** A widget token minted by the host's backend (`POST /v1/widget/token`); not renewable. */
  token?: string
  /** The host's endpoint that mints a token for its signed-in user: `POST`, cookies included, `{ token, expiresAt }`. */
  tokenUrl?: string
  /** A function returning `{ token, expiresAt }`, for hosts that fetch tokens their own way. */
  fetchToken?: () => Promise<{ token: string; expiresAt?: string | number | Date }>
  /** The Nereid server (default: where widget.js was loaded from). */
  serverUrl?: string
  primaryColor?: string
  position?: 'bottom-right' | 'bottom-left'
  title?: string
  greeting?: string
  theme?: 'light' | 'dark' | 'auto'
  /** Open the panel right away. */
  open?: boolean
  /** Heartbeat interval in ms (default 25 000); for tests. */
  pingIntervalMs?: number
  /** First reconnect delay in ms (default 500); for tests. */
  reconnectBaseMs?: number
}

export interface ResolvedOptions {
  token?: string
  tokenUrl?: string
  fetchToken?: WidgetOptions['fetchToken']
  serverUrl: string
  primaryColor?: string
  position: 'bottom-right' | 'bottom-left'
  title: string
  greeting: string
  theme: 'light' | 'dark' | 'auto'
  open: boolean
  pingIntervalMs: number
  reconnectBaseMs: number
}

/** Options written on the script tag (`data-token-url`, `data-primary-color`, ...). */
export function optionsFromScript(script: HTMLScriptElement | null): WidgetOptions {
  if (!script) return {}
  const data = script.dataset
  const options: WidgetOptions = {}
  if (data.token) options.token = data.token
  if (data.tokenUrl) options.tokenUrl = data.tokenUrl
  if (data.serverUrl) options.serverUrl = data.serverUrl
  if (data.primaryColor) options.primaryColor = data.primaryColor
  if (data.position === 'bottom-left' || data.position === 'bottom-right') options.position = data.position
  if (data.title) options.title = data.title
  if (data.greeting) options.greeting = data.greeting
  if (data.theme === 'light' || data.theme === 'dark' || data.theme === 'auto') options.theme = data.theme
  if (data.open === 'true' || data.open === '') options.open = true
  return options
}

/** Fills in defaults; `scriptSource` (widget.js's own URL) names the default server. */
export function resolveOptions(options: WidgetOptions, scriptSource: string | undefined): ResolvedOptions {
  const fallbackServer = scriptSource ? new URL(scriptSource, document.baseURI).origin : location.origin
  const resolved: ResolvedOptions = {
    serverUrl: (options.serverUrl
      ? new URL(options.serverUrl, document.baseURI).href
      : fallbackServer
    ).replace(/\/+$/, ''),
    position: options.position === 'bottom-left' ? 'bottom-left' : 'bottom-right',
    title: options.title?.trim() || 'Nereid',
    greeting: options.greeting?.trim() || 'Hi! Ask me about your customers, deals, tasks or documents.',
    theme: options.theme === 'dark' || options.theme === 'light' ? options.theme : 'auto',
    open: options.open === true,
    pingIntervalMs: options.pingIntervalMs ?? 25_000,
    reconnectBaseMs: options.reconnectBaseMs ?? 500,
  }
  if (options.token) resolved.token = options.token
  if (options.tokenUrl) resolved.tokenUrl = new URL(options.tokenUrl, document.baseURI).href
  if (options.fetchToken) resolved.fetchToken = options.fetchToken
  if (options.primaryColor && CSS.supports('color', options.primaryColor))
    resolved.primaryColor = options.primaryColor
  return resolved
}

/** Black or white text, whichever reads better on `rgb(...)` (as getComputedStyle reports colors). */
export function textColorOn(rgb: string): string {
  const [r = 0, g = 0, b = 0] = (rgb.match(/[\d.]+/g) ?? []).map(Number)
  const channel = (value: number) => {
    const c = value / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  const luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
  return luminance > 0.4 ? '#111318' : '#ffffff'
}
