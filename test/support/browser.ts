import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'

/** Debian's Chromium (`apt-get install chromium`), driven by playwright-core. */
export const chromiumPath = process.env.NEREID_CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Why browser tests cannot run here (for `describe.skipIf`), or undefined when they can. Said on
 * stderr once per test file, so a skipped run tells why. With `NEREID_REQUIRE_BROWSER=1` (CI) a
 * missing browser is an error instead.
 */
export const browserUnavailable: string | undefined = existsSync(chromiumPath)
  ? undefined
  : `no Chromium at ${chromiumPath} (apt-get install chromium, or set NEREID_CHROMIUM_PATH)`

if (browserUnavailable) {
  if (process.env.NEREID_REQUIRE_BROWSER === '1')
    throw new Error(`NEREID_REQUIRE_BROWSER=1 but the browser tests cannot run: ${browserUnavailable}`)
  process.stderr.write(`Browser tests skipped: ${browserUnavailable}\n`)
}

/**
 * Launches headless Chromium, or returns `{ reason }` when there is none (so `npm test` passes on a
 * machine without it and the tests report why they were skipped).
 */
export async function launchBrowser(): Promise<
  { browser: Browser; reason?: undefined } | { browser?: undefined; reason: string }
> {
  if (browserUnavailable) return { reason: browserUnavailable }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
    ],
  })
  return { browser }
}

/** Where screenshots go (`test-results/widget/`, gitignored); created on first use. */
export function screenshotPath(name: string): string {
  const directory = join(import.meta.dirname, '..', '..', 'test-results', 'widget')
  mkdirSync(directory, { recursive: true })
  return join(directory, `${name}.png`)
}

/**
 * The browser globals that page callbacks (`page.evaluate`, `locator.evaluate`) use, typed here
 * because the tests compile without DOM types: `(globalThis as unknown as PageGlobals).getComputedStyle(...)`.
 */
export interface PageGlobals {
  getComputedStyle(element: unknown): { fontSize: string; color: string; backgroundColor: string }
  DataTransfer: new () => { items: { add(file: unknown): void } }
  DragEvent: new (
    type: string,
    init: { dataTransfer: unknown; bubbles: boolean; cancelable: boolean },
  ) => unknown
  File: new (parts: string[], name: string, options: { type: string }) => unknown
  __xss?: number
}
