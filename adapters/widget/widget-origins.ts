/**
 * Whether a page at `origin` may use the widget of a workspace: its own origins list, the service's
 * public origin, or the service's own host (the demo page). Why it matters: widget tokens are bearer
 * tokens; the origin check keeps a token lifted from one site from working in another site's page.
 * A request without an Origin header does not come from a browser page and is not subject to it.
 */
export function isAllowedWidgetOrigin({
  origin,
  host,
  publicOrigin,
  allowedOrigins,
}: {
  origin: string | undefined
  host: string | undefined
  publicOrigin: string | undefined
  allowedOrigins: string[]
}): boolean {
  if (!origin) return true
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false
  }
  if (host && parsed.host === host) return true
  if (publicOrigin && parsed.origin === new URL(publicOrigin).origin) return true
  return allowedOrigins.includes(parsed.origin)
}
