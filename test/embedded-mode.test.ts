import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger } from '../core/index.ts'
import { createWorkspace, findWorkspace, openDatabase, startEmbeddedPostgres } from '../db/index.ts'

const run = promisify(execFile)
const binary = join(import.meta.dirname, '..', 'bin', 'nereid.js')
const logger = createLogger({ level: 'silent' })
const directories: string[] = []

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'nereid-embedded-'))
  directories.push(directory)
  return directory
}

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true })
})

const config = (dataDir: string) => ({
  databaseUrl: undefined,
  databasePoolMax: 3,
  dataDir,
  embeddedPostgresPort: 0,
})

describe('embedded database', () => {
  it('keeps its data across restarts of the same data directory', async () => {
    const dataDir = temporaryDirectory()
    const first = await openDatabase({ config: config(dataDir), logger })
    await first.migrator.up()
    await first.withSystem((system) => createWorkspace(system, { name: 'Persisted Co' }))
    await first.close()

    const second = await openDatabase({ config: config(dataDir), logger })
    try {
      expect((await second.migrator.status()).pending).toEqual([])
      const found = await second.withSystem((system) => findWorkspace(system, { idOrSlug: 'persisted-co' }))
      expect(found?.name).toBe('Persisted Co')
    } finally {
      await second.close()
    }
  })

  it('refuses to open a data directory another live process holds', async () => {
    const dataDir = temporaryDirectory()
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'])
    try {
      mkdirSync(dataDir, { recursive: true })
      writeFileSync(join(dataDir, 'nereid.lock'), JSON.stringify({ pid: holder.pid }))
      await expect(startEmbeddedPostgres({ dataDir, port: 0, maxConnections: 2 })).rejects.toThrow(
        new RegExp(`in use by process ${holder.pid}`),
      )
    } finally {
      holder.kill()
    }
  })

  it('takes over a lock left behind by a process that died', async () => {
    const dataDir = temporaryDirectory()
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(join(dataDir, 'nereid.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }))
    const embedded = await startEmbeddedPostgres({ dataDir, port: 0, maxConnections: 2 })
    await embedded.stop()
  })

  it('lets CLI commands work on the data of a running service, over its socket', async () => {
    const dataDir = temporaryDirectory()
    const environment = {
      ...process.env,
      NEREID_DATA_DIR: dataDir,
      NEREID_EMBEDDED_PG_PORT: '0',
      PORT: '0',
      LOG_LEVEL: 'warn',
    }
    const service: ChildProcess = spawn(process.execPath, [binary, 'serve'], {
      env: environment,
      cwd: dataDir,
    })
    try {
      await new Promise<void>((resolve, reject) => {
        let output = ''
        service.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          if (output.includes('Nereid is ready')) resolve()
        })
        service.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)))
      })
      const created = await run(
        process.execPath,
        [binary, 'workspace', 'create', '--name', 'Side Door Ltd'],
        {
          env: environment,
          cwd: dataDir,
        },
      )
      expect(created.stdout).toMatch(/slug: side-door-ltd/)
      const status = await run(process.execPath, [binary, 'status'], { env: environment, cwd: dataDir })
      const migrationCount = readdirSync(join(import.meta.dirname, '..', 'migrations')).filter((file) =>
        file.endsWith('.ts'),
      ).length
      expect(status.stdout).toContain(`${migrationCount} applied, 0 pending`)
    } finally {
      const exited = new Promise((resolve) => service.once('exit', resolve))
      service.kill('SIGTERM')
      await exited
    }
    // The service shut down cleanly (lock released), and the workspace the CLI made is in its data.
    const reopened = await openDatabase({ config: config(dataDir), logger })
    try {
      const found = await reopened.withSystem((system) =>
        findWorkspace(system, { idOrSlug: 'side-door-ltd' }),
      )
      expect(found?.name).toBe('Side Door Ltd')
    } finally {
      await reopened.close()
    }
    // Three processes start here (the service and two commands): generous on a busy machine.
  }, 120_000)
})
