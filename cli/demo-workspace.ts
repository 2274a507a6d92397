import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../core/index.ts'
import {
  createApiKey,
  type Database,
  findWorkspace,
  listMembers,
  seedDemoWorkspace,
  verifyApiKey,
} from '../db/index.ts'

export const demoWorkspaceSlug = 'demo'

export interface DemoWorkspaceAccess {
  workspaceId: string
  workspaceName: string
  /** The owner the demo key acts for (send as X-Nereid-User). */
  ownerEmail: string
  apiKey: string
  created: boolean
}

/**
 * Makes sure the demo workspace exists and returns a working API key for it. Keys are stored only
 * as hashes, so the demo key is also kept in `<data dir>/demo-api-key` (mode 600): that lets
 * `npm start` print it again on every start. A missing or revoked key is replaced.
 */
export async function ensureDemoWorkspace({
  database,
  clock,
  dataDir,
}: {
  database: Database
  clock: Clock
  dataDir: string
}): Promise<DemoWorkspaceAccess> {
  let workspace = await database.withSystem((system) =>
    findWorkspace(system, { idOrSlug: demoWorkspaceSlug }),
  )
  let created = false
  if (!workspace) {
    workspace = (await seedDemoWorkspace({ database, clock, slug: demoWorkspaceSlug })).workspace
    created = true
  }
  const workspaceId = workspace.id
  const members = await database.withTenant({ workspaceId }, (tenant) => listMembers(tenant))
  const owner = members.find((member) => member.role === 'owner') ?? members[0]!
  const keyFile = join(dataDir, 'demo-api-key')
  const storedKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined
  if (storedKey) {
    const verdict = await database.withSystem((system) => verifyApiKey(system, { key: storedKey, clock }))
    if (verdict.valid && verdict.workspaceId === workspaceId) {
      return {
        workspaceId,
        workspaceName: workspace.name,
        ownerEmail: owner.email,
        apiKey: storedKey,
        created,
      }
    }
  }
  const apiKey = await database.withTenant({ workspaceId, userId: owner.userId }, (tenant) =>
    createApiKey(tenant, { name: 'Demo key' }),
  )
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(keyFile, `${apiKey.key}\n`, { mode: 0o600 })
  chmodSync(keyFile, 0o600)
  return { workspaceId, workspaceName: workspace.name, ownerEmail: owner.email, apiKey: apiKey.key, created }
}
