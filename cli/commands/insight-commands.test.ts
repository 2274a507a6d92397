import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../core/index.ts'
import { seedDemoWorkspace } from '../../db/index.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { createProgram } from '../create-program.ts'
import type { CommandEnvironment } from '../runtime.ts'

/** `nereid insights …` in-process against the test database. */
let testDatabase: TestDatabase
let dataDir: string
const clock = fixedClock(new Date('2026-03-02T09:00:00Z'))

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'nereid-insights-cli-'))
  await seedDemoWorkspace({ database: testDatabase.database, clock, slug: 'insights-cli' })
}, 120_000)

afterAll(async () => {
  await testDatabase?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function nereid(...args: string[]): Promise<{ out: string; exitCode: number }> {
  const lines: string[] = []
  let exitCode = 0
  const commandEnvironment: CommandEnvironment = {
    environment: { DATABASE_URL: testDatabase.url, NEREID_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    envFile: false,
    output: { log: (line) => lines.push(line), error: (line) => lines.push(line) },
    clock,
  }
  const program = createProgram(commandEnvironment, { onExitCode: (code) => (exitCode = code) })
  program.exitOverride()
  await program.parseAsync(['node', 'nereid', ...args])
  return { out: lines.join('\n'), exitCode }
}

describe('nereid insights', () => {
  it('runs the detectors, lists a member’s insights and sends the digest once', async () => {
    const first = await nereid('insights', 'run', '--workspace', 'insights-cli')
    expect(first.exitCode).toBe(0)
    expect(first.out).toMatch(/insights-cli: 18 raised, 0 still open, 0 resolved/)
    expect(first.out).toMatch(/stale_deal\s+6 found/)
    const second = await nereid('insights', 'run')
    expect(second.out).toMatch(/18 still open/)

    const listed = await nereid(
      'insights',
      'list',
      '--workspace',
      'insights-cli',
      '--user',
      'priya.raman@acme-demo.test',
    )
    expect(listed.out.split('\n').length).toBeGreaterThan(0)
    expect(listed.out).toMatch(/open/)

    expect((await nereid('insights', 'digest', '--workspace', 'insights-cli')).out).toMatch(
      /\d+ digest\(s\) for 2026-03-02/,
    )
    expect((await nereid('insights', 'digest', '--workspace', 'insights-cli')).out).toMatch(/0 digest\(s\)/)
    await expect(nereid('insights', 'run', '--workspace', 'nope')).rejects.toThrow(/No workspace "nope"/)
  })
})
