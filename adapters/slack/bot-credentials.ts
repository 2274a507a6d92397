import type { AuthorizeResult, AuthorizeSourceData } from '@slack/bolt'
import { AppError, type Clock, type Logger } from '../../core/index.ts'
import { type Database, revokeSlackInstallation } from '../../db/index.ts'
import { installationKeyOf, type PostgresInstallationStore } from './installation-store.ts'
import { classifySlackError } from './slack-api-errors.ts'
import type { SlackClients } from './slack-clients.ts'

/** The bot that serves a Slack team: its token and identities. */
export interface BotIdentity {
  teamId: string | undefined
  enterpriseId: string | undefined
  botToken: string
  botUserId: string
  botId: string
}

/**
 * Which bot token serves a team. Multi-workspace mode reads the OAuth installation (decrypted);
 * single-workspace mode has one token (SLACK_BOT_TOKEN) whose team `auth.test` reports. Both may
 * be configured: an installation wins for its team. Lookups are cached briefly (they run before
 * every acknowledgement of an interactive request); a revoked token is evicted at once.
 */
export function createBotCredentials({
  database,
  installations,
  singleBotToken,
  clients,
  logger,
  clock,
  cacheTtlMs = 60_000,
}: {
  database: Database
  installations?: PostgresInstallationStore | undefined
  singleBotToken?: string | undefined
  clients: SlackClients
  logger: Logger
  clock: Clock
  cacheTtlMs?: number
}) {
  const cache = new Map<string, { identity: BotIdentity | undefined; until: number }>()
  let single: Promise<BotIdentity | undefined> | undefined
  let singleRevoked = false

  /** The single token's identity (auth.test, once; retried on the next call after a failure). */
  function singleIdentity(): Promise<BotIdentity | undefined> {
    if (!singleBotToken || singleRevoked) return Promise.resolve(undefined)
    single ??= clients
      .forToken(singleBotToken)
      .auth.test()
      .then((result) => ({
        teamId: result.team_id,
        enterpriseId: result.enterprise_id,
        botToken: singleBotToken,
        botUserId: String(result.user_id),
        botId: String(result.bot_id),
      }))
      .catch((error: unknown) => {
        single = undefined
        const failure = classifySlackError(error)
        if (failure.kind === 'auth_revoked') singleRevoked = true
        logger.error(
          { component: 'slack', code: failure.code },
          'SLACK_BOT_TOKEN does not work (auth.test failed)',
        )
        return undefined
      })
    return single
  }

  async function lookup(
    key: string,
    source: { teamId?: string | undefined; enterpriseId?: string | undefined },
  ) {
    if (installations) {
      const found = await installations.load({ installationKey: key })
      if (found && !found.record.revokedAt && found.installation.bot) {
        const { bot } = found.installation
        return {
          teamId: found.installation.team?.id ?? source.teamId,
          enterpriseId: found.installation.enterprise?.id ?? source.enterpriseId,
          botToken: bot.token,
          botUserId: bot.userId,
          botId: bot.id,
        }
      }
    }
    const identity = await singleIdentity()
    if (
      identity &&
      (identity.teamId === source.teamId ||
        (identity.enterpriseId && identity.enterpriseId === source.enterpriseId))
    )
      return identity
    return undefined
  }

  async function forTeam(source: {
    teamId?: string | undefined
    enterpriseId?: string | undefined
    isEnterpriseInstall?: boolean | undefined
  }): Promise<BotIdentity | undefined> {
    const key = installationKeyOf(source) ?? source.teamId
    if (!key) return undefined
    const now = clock.now().getTime()
    const cached = cache.get(key)
    if (cached && cached.until > now) return cached.identity
    const identity = await lookup(key, source)
    cache.set(key, { identity, until: now + (identity ? cacheTtlMs : Math.min(cacheTtlMs, 5_000)) })
    return identity
  }

  return {
    forTeam,

    /** The single-workspace bot, if configured (warms the cache; logs when the token is bad). */
    singleIdentity,

    /** Bolt's `authorize`: the bot of the request's team, or an error (Bolt then acknowledges and drops it). */
    async authorize(source: AuthorizeSourceData<boolean>): Promise<AuthorizeResult> {
      const identity = await forTeam(source)
      if (!identity) {
        throw new AppError('unauthorized', {
          message: `No Slack installation serves team ${source.teamId ?? source.enterpriseId ?? '(none)'}.`,
        })
      }
      return { ...identity }
    },

    /**
     * Stops using a team's token after Slack said it was revoked (or the app was uninstalled):
     * an installation is marked revoked; the single token is dropped until the process restarts.
     */
    async revoke({
      teamId,
      enterpriseId,
      isEnterpriseInstall,
    }: {
      teamId?: string | undefined
      enterpriseId?: string | undefined
      isEnterpriseInstall?: boolean | undefined
    }): Promise<void> {
      const key = installationKeyOf({ teamId, enterpriseId, isEnterpriseInstall }) ?? teamId
      if (!key) return
      const cached = cache.get(key)?.identity
      cache.delete(key)
      if (cached) clients.forget(cached.botToken)
      if (installations) {
        const revoked = await database.withSystem((system) =>
          revokeSlackInstallation(system, { installationKey: key, now: clock.now() }),
        )
        if (revoked)
          logger.warn(
            { component: 'slack', teamId: key },
            'Slack installation revoked; its token is no longer used',
          )
      }
      const identity = singleBotToken && !singleRevoked ? await single : undefined
      if (identity && (identity.teamId === key || identity.enterpriseId === key)) {
        singleRevoked = true
        single = undefined
        logger.error(
          { component: 'slack', teamId: key },
          'SLACK_BOT_TOKEN was revoked; replace it and restart',
        )
      }
    },

    /** Forgets cached lookups (after an install or uninstall). */
    evict(key?: string): void {
      if (key) cache.delete(key)
      else cache.clear()
    },
  }
}

export type BotCredentials = ReturnType<typeof createBotCredentials>
