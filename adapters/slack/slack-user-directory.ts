import type { WebClient } from '@slack/web-api'
import type { Clock } from '../../core/index.ts'

/** What Nereid needs to know about a Slack user (from `users.info`). */
export interface SlackUserProfile {
  id: string
  /** The user's home team; another team's id for people in a shared (Slack Connect) channel. */
  teamId: string | undefined
  /** Teams of an Enterprise Grid user. */
  enterpriseTeams: string[]
  name: string
  email: string | undefined
  isBot: boolean
  deleted: boolean
}

/**
 * `users.info`, cached for a few minutes per user (names for thread context, emails for matching
 * members). Needs the `users:read` and `users:read.email` scopes.
 */
export function createSlackUserDirectory({
  clock,
  ttlMs = 5 * 60 * 1000,
  maxEntries = 5_000,
}: {
  clock: Clock
  ttlMs?: number
  maxEntries?: number
}) {
  const cache = new Map<string, { profile: SlackUserProfile; until: number }>()
  return {
    async get({
      client,
      teamId,
      userId,
      fresh = false,
    }: {
      client: WebClient
      teamId: string
      userId: string
      /** Skip the cache (matching a member by email). */
      fresh?: boolean
    }): Promise<SlackUserProfile> {
      const key = `${teamId}:${userId}`
      const now = clock.now().getTime()
      const cached = cache.get(key)
      if (!fresh && cached && cached.until > now) return cached.profile
      const { user } = await client.users.info({ user: userId })
      const profile: SlackUserProfile = {
        id: userId,
        teamId: user?.team_id,
        enterpriseTeams: user?.enterprise_user?.teams ?? [],
        name:
          user?.profile?.display_name || user?.real_name || user?.profile?.real_name || user?.name || userId,
        email: user?.profile?.email?.trim().toLowerCase() || undefined,
        isBot: Boolean(user?.is_bot) || userId === 'USLACKBOT',
        deleted: Boolean(user?.deleted),
      }
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!)
      cache.set(key, { profile, until: now + ttlMs })
      return profile
    },
  }
}

export type SlackUserDirectory = ReturnType<typeof createSlackUserDirectory>
