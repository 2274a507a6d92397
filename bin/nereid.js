#!/usr/bin/env node
// The `nereid` command. Checks the Node.js version first (a clear message instead of a syntax
// error on old Node), then runs the TypeScript CLI through tsx's loader, or, with
// NEREID_USE_DIST=1, the compiled build from `npm run build` (never picked up silently, so a stale
// build cannot shadow the sources).
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `Nereid needs Node.js >= 22.12; this is ${process.version}.\n` +
      'Install it, e.g.: npm install --prefix /opt/node22 node@22 && export PATH=/opt/node22/node_modules/.bin:$PATH\n',
  )
  process.exit(1)
}

// An empty variable means "not set" to Nereid's configuration, but @ai-sdk/openai reads
// OPENAI_BASE_URL from the environment when its module loads and rejects an empty one, so
// `OPENAI_BASE_URL=` in a shell would stop every command before the configuration is read.
for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY']) {
  if (process.env[name]?.trim() === '') delete process.env[name]
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const compiled = join(root, 'dist', 'cli', 'main.js')
if (process.env.NEREID_USE_DIST === '1') {
  if (!existsSync(compiled)) {
    process.stderr.write('NEREID_USE_DIST=1 but there is no build: run npm run build first.\n')
    process.exit(1)
  }
  await import(pathToFileURL(compiled).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(join(root, 'cli', 'main.ts')).href)
}
