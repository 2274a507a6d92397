import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInstallLinkTokens, deriveSecret } from '../../adapters/slack/index.ts'
import { fixedClock } from '../../core/index.ts'
import { findSlackTeamLink } from '../../db/index.ts'
import { createTestWorkspace } from '../../test/support/http-fixtures.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { createProgram } from '../create-program.ts'
import type { CommandEnvironment } from '../runtime.ts'

/** `nereid slack …` in-process against the test database. */
let testDatabase: TestDatabase
let dataDir: string
const key = Buffer.alloc(32, 5)
const clock = fixedClock(new Date('2026-03-02T09:00:00Z'))

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'nereid-slack-cli-'))
  await createTestWorkspace({ database: testDatabase.database, slug: 'acme-link' })
  await createTestWorkspace({ database: testDatabase.database, slug: 'globex-link' })
})

afterAll(async () => {
  await testDatabase?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function nereid(...args: string[]): Promise<string> {
  const lines: string[] = []
  const commandEnvironment: CommandEnvironment = {
    environment: {
      DATABASE_URL: testDatabase.url,
      NEREID_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_CLIENT_ID: 'client-id',
      SLACK_CLIENT_SECRET: 'client-secret',
      ENCRYPTION_KEY: key.toString('hex'),
      PUBLIC_URL: 'https://nereid.example.com',
    },
    envFile: false,
    output: { log: (line) => lines.push(line), error: (line) => lines.push(line) },
    clock,
  }
  const program = createProgram(commandEnvironment)
  program.exitOverride()
  await program.parseAsync(['node', 'nereid', ...args])
  return lines.join('\n')
}

const linkOf = (teamId: string) =>
  testDatabase.database.withSystem((system) => findSlackTeamLink(system, { teamId }))

describe('nereid slack', () => {
  it('links a team to one workspace, refuses to move it silently, moves it with --move, unlinks it', async () => {
    expect(await nereid('slack', 'link', '--team', 'T0ACME', '--workspace', 'acme-link')).toContain(
      'Linked Slack team T0ACME to "Workspace acme-link"',
    )
    expect((await linkOf('T0ACME'))?.workspaceSlug).toBe('acme-link')
    await expect(nereid('slack', 'link', '--team', 'T0ACME', '--workspace', 'globex-link')).rejects.toThrow(
      /already linked to workspace "acme-link".*--move/,
    )
    expect((await linkOf('T0ACME'))?.workspaceSlug).toBe('acme-link')
    await nereid('slack', 'link', '--team', 'T0ACME', '--workspace', 'globex-link', '--move')
    expect((await linkOf('T0ACME'))?.workspaceSlug).toBe('globex-link')
    expect(await nereid('slack', 'list')).toMatch(/T0ACME .*-> {2}Workspace globex-link \(globex-link\)/)
    await expect(nereid('slack', 'link', '--team', 'not a team', '--workspace', 'acme-link')).rejects.toThrow(
      /not a Slack team id/,
    )
    expect(await nereid('slack', 'unlink', '--team', 'T0ACME')).toContain('Unlinked')
    expect(await linkOf('T0ACME')).toBeUndefined()
  })

  it('prints a signed install link for a workspace', async () => {
    const out = await nereid('slack', 'install-url', '--workspace', 'acme-link')
    const url = new URL(out.split('\n').at(-1)!)
    expect(`${url.origin}${url.pathname}`).toBe('https://nereid.example.com/slack/install')
    const tokens = createInstallLinkTokens({
      secret: deriveSecret({ key, purpose: 'slack-install-links' }),
      clock,
    })
    const { workspaceId } = tokens.verify(url.searchParams.get('link')!)
    const acme = await testDatabase.database.withSystem((system) =>
      system.sequelize.query('SELECT id FROM workspaces WHERE slug = :slug', {
        replacements: { slug: 'acme-link' },
        transaction: system.transaction,
        plain: true,
      }),
    )
    expect(workspaceId).toBe((acme as unknown as { id: string }).id)
  })
})
