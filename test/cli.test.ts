import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningService } from '../cli/commands/serve-command.ts'
import { createProgram } from '../cli/create-program.ts'
import type { CommandEnvironment } from '../cli/runtime.ts'
import { fixedClock } from '../core/index.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

const run = promisify(execFile)
const binary = join(import.meta.dirname, '..', 'bin', 'nereid.js')

let testDatabase: TestDatabase
let dataDir: string

beforeAll(async () => {
  testDatabase = await createTestDatabase({ migrate: false })
  dataDir = mkdtempSync(join(tmpdir(), 'nereid-cli-'))
})

afterAll(async () => {
  await testDatabase?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Runs one `nereid` command in-process against the test database; returns what it printed. */
async function nereid(
  ...args: string[]
): Promise<{ out: string; err: string; exitCode: number; service?: RunningService }> {
  const lines: string[] = []
  const errors: string[] = []
  let exitCode = 0
  let service: RunningService | undefined
  const commandEnvironment: CommandEnvironment = {
    environment: { DATABASE_URL: testDatabase.url, NEREID_DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0' },
    envFile: false,
    output: { log: (line) => lines.push(line), error: (line) => errors.push(line) },
    clock: fixedClock(new Date('2026-03-02T09:00:00Z')),
  }
  const program = createProgram(commandEnvironment, {
    onServing: (running) => {
      service = running
    },
    onExitCode: (code) => {
      exitCode = code
    },
  })
  program.exitOverride()
  await program.parseAsync(['node', 'nereid', ...args])
  return { out: lines.join('\n'), err: errors.join('\n'), exitCode, ...(service ? { service } : {}) }
}

describe('nereid CLI', () => {
  it('reports pending migrations, migrates, rolls back and migrates again', async () => {
    const before = await nereid('status')
    expect(before.out).toMatch(/pending {2}20261122000000-database-roles/)
    expect(before.exitCode).toBe(3)
    expect((await nereid('migrate')).out).toMatch(/Applied 11 migration/)
    const after = await nereid('status')
    expect(after.out).toMatch(/11 applied, 0 pending/)
    expect(after.exitCode).toBe(0)
    expect((await nereid('rollback')).out).toMatch(
      /Reverted 1 migration\(s\):\n {2}20261122001000-tenant-index-halfvec/,
    )
    expect((await nereid('status')).out).toMatch(/10 applied, 1 pending/)
    expect((await nereid('migrate')).out).toMatch(/Applied 1 migration/)
  })

  it('refuses to serve on a real server with pending migrations unless --migrate', async () => {
    await nereid('rollback')
    await expect(nereid('serve')).rejects.toThrow(/pending migration.*--migrate/)
    const started = await nereid('serve', '--migrate')
    try {
      expect(started.out).toMatch(/Applied 1 migration/)
      const ready = await fetch(`${started.service!.url}/readyz`)
      expect(ready.status).toBe(200)
    } finally {
      await started.service?.stop()
    }
  })

  it('creates a workspace, adds users and a key that works against the API', async () => {
    const created = await nereid('workspace', 'create', '--name', 'Wayne Enterprises')
    expect(created.out).toMatch(/slug: wayne-enterprises/)
    await expect(nereid('workspace', 'create', '--name', 'Wayne Enterprises')).rejects.toThrow(
      /already exists/,
    )
    expect(
      (
        await nereid(
          'user',
          'add',
          '--workspace',
          'wayne-enterprises',
          '--email',
          'Bruce@Wayne.test',
          '--role',
          'owner',
        )
      ).out,
    ).toMatch(/bruce@wayne\.test> is now owner/)
    await expect(
      nereid(
        'user',
        'add',
        '--workspace',
        'wayne-enterprises',
        '--email',
        'x@wayne.test',
        '--role',
        'emperor',
      ),
    ).rejects.toThrow(/--role must be one of owner, admin, member, viewer/)
    await expect(nereid('user', 'add', '--workspace', 'no-such', '--email', 'x@wayne.test')).rejects.toThrow(
      /No workspace "no-such"/,
    )
    const key = await nereid('key', 'create', '--workspace', 'wayne-enterprises', '--name', 'ci')
    const apiKey = key.out.split('\n').find((line) => line.startsWith('nrd_'))!
    expect(apiKey).toMatch(/^nrd_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/)
    expect(key.out).toMatch(/shown only once/)

    const served = await nereid('serve')
    try {
      const response = await fetch(`${served.service!.url}/v1/customers`, {
        headers: { Authorization: `Bearer ${apiKey}`, 'X-Nereid-User': 'bruce@wayne.test' },
      })
      expect(response.status).toBe(200)
      const listed = await nereid('key', 'list', '--workspace', 'wayne-enterprises')
      expect(listed.out).toMatch(/ci {2}\(active, last used 2026-03-02/)
      const keyId = listed.out.trim().split(/\s+/)[0]!
      await nereid('key', 'revoke', '--workspace', 'wayne-enterprises', '--id', keyId)
      const revoked = await fetch(`${served.service!.url}/v1/customers`, {
        headers: { Authorization: `Bearer ${apiKey}`, 'X-Nereid-User': 'bruce@wayne.test' },
      })
      expect(revoked.status).toBe(401)
      const workspaceId = /id: +([0-9a-f-]{36})/.exec(created.out)![1]!
      const actions = await testDatabase.database.withTenant({ workspaceId }, ({ models, transaction }) =>
        models.AuditLog.findAll({ order: [['createdAt', 'ASC']], transaction }),
      )
      expect(actions.map((entry) => entry.get().action).sort()).toEqual([
        'api_key.create',
        'api_key.revoke',
        'member.add',
      ])
    } finally {
      await served.service?.stop()
    }
  })

  it('seeds the demo workspace once and serves it with a stable demo key', async () => {
    const first = await nereid('serve', '--demo')
    await first.service?.stop()
    expect(first.out).toMatch(/demo workspace: .*\(just created\)/)
    const firstKey = /demo API key: +(\S+)/.exec(first.out)![1]!
    const second = await nereid('serve', '--demo')
    try {
      expect(second.out).not.toMatch(/just created/)
      expect(/demo API key: +(\S+)/.exec(second.out)![1]).toBe(firstKey)
      const owner = /X-Nereid-User: ([^"]+)"/.exec(second.out)![1]!
      const deals = await fetch(`${second.service!.url}/v1/deals?limit=100`, {
        headers: { Authorization: `Bearer ${firstKey}`, 'X-Nereid-User': owner },
      })
      expect(deals.status).toBe(200)
      expect(((await deals.json()) as { data: unknown[] }).data.length).toBeGreaterThan(20)
    } finally {
      await second.service?.stop()
    }
  })

  it('ingests files and a directory with a summary, searches, lists and reindexes', async () => {
    const fixtures = join(import.meta.dirname, 'fixtures', 'documents')
    const ingested = await nereid(
      'ingest',
      join(fixtures, 'fake-memo.pdf'),
      join(fixtures, 'password.pdf'),
      join(fixtures, 'fake-text.txt'),
      '--workspace',
      'demo',
    )
    expect(ingested.out).toMatch(/\[#+\] 3\/3/)
    expect(ingested.out).toMatch(/password\.pdf\s+failed\s+0\s+0\s+The PDF is encrypted/)
    expect(ingested.out).toMatch(/fake-memo\.pdf\s+ready\s+1\s+\d+/)
    expect(ingested.out).toMatch(/3 document\(s\): 2 ok, 1 failed/)
    expect(ingested.exitCode).toBe(4)
    const again = await nereid('ingest', join(fixtures, 'fake-text.txt'), '--workspace', 'demo')
    expect(again.out).toMatch(/unchanged/)

    const search = await nereid('knowledge', 'search', 'test document', '--workspace', 'demo', '-k', '3')
    expect(search.out).toMatch(/\[1\] fake-text/)
    const listed = await nereid('knowledge', 'list', '--workspace', 'demo')
    expect(listed.out).toMatch(/ready .* fake-memo/)
    expect(listed.out).toMatch(/failed .*encrypted/)
    const reindexed = await nereid('knowledge', 'reindex', '--workspace', 'demo', '--all')
    expect(reindexed.out).toMatch(/Re-embedded \d+ chunks of 2 document\(s\) with nereid-lexical-v1-512/)
  })

  it('doctor says what is configured and what is missing', async () => {
    const report = await nereid('doctor')
    expect(report.out).toMatch(/connection +ok/)
    expect(report.out).toMatch(/migrations +current/)
    expect(report.out).toMatch(/language model +not configured: chat answers in search mode/)
    expect(report.out).toMatch(/Nereid can run/)
  })
})

describe('nereid binary', () => {
  it.each([
    ['PORT', { PORT: 'abc' }, /PORT: expected an integer port number/],
    ['PORT', { PORT: '70000' }, /PORT: expected a port between 0 and 65535/],
    [
      'DATABASE_URL',
      { DATABASE_URL: 'mysql://root@localhost/db' },
      /DATABASE_URL: expected a PostgreSQL URL/,
    ],
  ])('stops startup on a bad %s and names it', async (_name, environment, message) => {
    const failure = await run(process.execPath, [binary, 'serve'], {
      env: { ...process.env, NEREID_DATA_DIR: dataDir, ...environment },
      cwd: dataDir,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failure?.code).toBe(2)
    expect(failure?.stderr).toMatch(message)
  })

  it('prints help with every command', async () => {
    const { stdout } = await run(process.execPath, [binary, '--help'])
    for (const command of [
      'serve',
      'migrate',
      'rollback',
      'status',
      'workspace',
      'user',
      'key',
      'seed',
      'chat',
      'doctor',
    ]) {
      expect(stdout).toContain(command)
    }
  })
})
