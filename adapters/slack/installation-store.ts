import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth'
import { AppError } from '../../core/index.ts'
import {
  type Database,
  deleteSlackInstallation,
  findSlackInstallation,
  type SlackInstallationRecord,
  saveSlackInstallation,
} from '../../db/index.ts'
import type { TokenCipher } from './token-cipher.ts'

/** The key an installation is stored under: the enterprise id for org-wide installs, else the team id. */
export function installationKeyOf({
  teamId,
  enterpriseId,
  isEnterpriseInstall,
}: {
  teamId?: string | undefined
  enterpriseId?: string | undefined
  isEnterpriseInstall?: boolean | undefined
}): string | undefined {
  return isEnterpriseInstall ? enterpriseId : teamId
}

/**
 * The OAuth installation store (`@slack/oauth`) in Postgres. The whole installation (bot token,
 * refresh token, user token) is stored as AES-256-GCM ciphertext bound to its team id; only
 * non-secret identifiers are plain columns. System work throughout: an installation is what tells
 * us who a request is from, before any workspace is known.
 */
export function createInstallationStore({
  database,
  cipher,
}: {
  database: Database
  cipher: TokenCipher
}): InstallationStore & {
  /** The stored record and its decrypted installation; undefined when missing. Revoked ones included. */
  load(query: {
    installationKey: string
  }): Promise<{ record: SlackInstallationRecord; installation: Installation } | undefined>
} {
  async function load({ installationKey }: { installationKey: string }) {
    const record = await database.withSystem((system) => findSlackInstallation(system, { installationKey }))
    if (!record) return undefined
    const installation = JSON.parse(
      cipher.decrypt(record.secret, `slack-installation:${installationKey}`),
    ) as Installation
    return { record, installation }
  }
  return {
    load,
    async storeInstallation(installation) {
      const installationKey = installationKeyOf({
        teamId: installation.team?.id,
        enterpriseId: installation.enterprise?.id,
        isEnterpriseInstall: installation.isEnterpriseInstall,
      })
      if (!installationKey) throw new AppError('bad_request', { message: 'The installation names no team.' })
      const { metadata: _metadata, ...kept } = installation
      await database.withSystem((system) =>
        saveSlackInstallation(system, {
          installationKey,
          teamId: installation.team?.id ?? null,
          enterpriseId: installation.enterprise?.id ?? null,
          isEnterpriseInstall: Boolean(installation.isEnterpriseInstall),
          teamName: installation.team?.name ?? installation.enterprise?.name ?? null,
          appId: installation.appId ?? null,
          botUserId: installation.bot?.userId ?? null,
          botId: installation.bot?.id ?? null,
          installerSlackUserId: installation.user?.id ?? null,
          secret: cipher.encrypt(JSON.stringify(kept), `slack-installation:${installationKey}`),
        }),
      )
    },
    async fetchInstallation(query: InstallationQuery<boolean>) {
      const installationKey = installationKeyOf(query)
      const found = installationKey ? await load({ installationKey }) : undefined
      if (!found || found.record.revokedAt) {
        throw new AppError('not_found', {
          message: `No Slack installation for ${installationKey ?? 'this team'}.`,
        })
      }
      return found.installation
    },
    async deleteInstallation(query: InstallationQuery<boolean>) {
      const installationKey = installationKeyOf(query)
      if (installationKey)
        await database.withSystem((system) => deleteSlackInstallation(system, { installationKey }))
    },
  }
}

export type PostgresInstallationStore = ReturnType<typeof createInstallationStore>
