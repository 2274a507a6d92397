import { mountWidget, type WidgetApp } from './app.ts'
import { optionsFromScript, resolveOptions, type WidgetOptions } from './options.ts'

/**
 * widget.js: the embeddable Nereid chat. Embed with
 * `<script src="https://nereid.example.com/widget.js" data-token-url="/api/nereid-token" defer></script>`
 * (it starts by itself when the tag names a token URL or token), or load it and call
 * `Nereid.init({ tokenUrl | token | fetchToken, ... })`; then `Nereid.open()` / `Nereid.close()`.
 * Options: data-token-url, data-token, data-server-url, data-primary-color,
 * data-position (bottom-right | bottom-left), data-title, data-greeting, data-theme (light | dark | auto).
 */
export interface NereidApi {
  init(options?: WidgetOptions): NereidApi
  open(): void
  close(): void
  /** Removes the widget from the page and closes its connection. */
  destroy(): void
  readonly version: string
}

declare global {
  interface Window {
    Nereid?: NereidApi
  }
}

const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[src*="widget.js"]')
const scriptOptions = optionsFromScript(script)
const scriptSource = script?.src || undefined

let app: WidgetApp | undefined

function whenBodyReady(callback: () => void) {
  if (document.body) callback()
  else document.addEventListener('DOMContentLoaded', callback, { once: true })
}

const nereid: NereidApi = {
  version: '1',
  init(options = {}) {
    const merged = { ...scriptOptions, ...options }
    if (!merged.token && !merged.tokenUrl && !merged.fetchToken) {
      console.error(
        'Nereid widget: pass token, tokenUrl or fetchToken (or data-token-url on the script tag).',
      )
      return nereid
    }
    whenBodyReady(() => {
      app?.destroy()
      app = mountWidget(resolveOptions(merged, scriptSource))
    })
    return nereid
  },
  open() {
    if (!app) nereid.init()
    whenBodyReady(() => app?.open())
  },
  close() {
    app?.close()
  },
  destroy() {
    app?.destroy()
    app = undefined
  },
}

// Loaded twice (two tags, or a single-page app re-running it): keep the first.
if (!window.Nereid) {
  window.Nereid = nereid
  if (scriptOptions.token || scriptOptions.tokenUrl) nereid.init()
}
