import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * widget.js: the browser client (`adapters/widget/client/widget.ts`, with marked and DOMPurify)
 * bundled by esbuild into one self-contained, minified IIFE for ES2020 browsers. Built on first use
 * and kept in memory (about 100 ms, once per process), so serving it needs no build step and no
 * files outside the sources.
 */
let cached: Promise<string> | undefined

/** The client's entry: beside this file in the sources; from `dist/`, back in the source tree. */
function entryPoint(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    join(here, 'client', 'widget.ts'),
    join(here, '..', '..', '..', 'adapters', 'widget', 'client', 'widget.ts'),
  ]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (!found) throw new Error(`The widget client sources are missing (looked for ${candidates.join(', ')}).`)
  return found
}

/** The widget script, built once per process; a failed build is retried on the next call. */
export function buildWidgetScript(): Promise<string> {
  cached ??= bundle().catch((error: unknown) => {
    cached = undefined
    throw error
  })
  return cached
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [entryPoint()],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    sourcemap: false,
    legalComments: 'eof',
    charset: 'ascii',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error('esbuild produced no widget script.')
  return output.text
}
