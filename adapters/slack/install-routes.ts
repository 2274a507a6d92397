import type { ServerResponse } from 'node:http'
import { type Installation, InstallProvider } from '@slack/oauth'
import express, { type Router } from 'express'
import { isAppError, type Logger } from '../../core/index.ts'
import { type Database, findWorkspace, linkSlackTeam } from '../../db/index.ts'
import type { BotCredentials } from './bot-credentials.ts'
import type { InstallLinkTokens } from './install-link-token.ts'
import { installationKeyOf, type PostgresInstallationStore } from './installation-store.ts'
import type { SlackClients } from './slack-clients.ts'
import type { SlackIdentity } from './slack-identity.ts'
import { toSlackLogger } from './slack-logger.ts'
import { slackBotScopes } from './slack-scopes.ts'

/**
 * Multi-workspace installs: `GET /slack/install` sends the installer to Slack's consent screen
 * (OAuth v2, bot scopes from the manifest, CSRF state in a signed cookie) and
 * `GET /slack/oauth_redirect` exchanges the code, stores the installation encrypted, and, when the
 * install started from a signed link (`?link=…`, from `nereid slack install-url`), links the team
 * to that workspace. A team already linked elsewhere is not moved (an admin does that
 * deliberately with `nereid slack link --move`).
 */
export function createInstallRoutes({
  clientId,
  clientSecret,
  stateSecret,
  installations,
  credentials,
  identity,
  clients,
  linkTokens,
  database,
  logger,
  publicUrl,
  authorizationUrl,
}: {
  clientId: string
  clientSecret: string
  stateSecret: string
  installations: PostgresInstallationStore
  credentials: BotCredentials
  identity: SlackIdentity
  clients: SlackClients
  linkTokens: InstallLinkTokens
  database: Database
  logger: Logger
  publicUrl?: string | undefined
  /** Slack's authorize page; tests point it elsewhere. */
  authorizationUrl?: string | undefined
}): Router {
  const installer = new InstallProvider({
    clientId,
    clientSecret,
    stateSecret,
    installationStore: installations,
    directInstall: true,
    logger: toSlackLogger(logger),
    clientOptions: clients.options,
    ...(authorizationUrl ? { authorizationUrl } : {}),
  })
  const redirectUri = publicUrl ? new URL('/slack/oauth_redirect', publicUrl).toString() : undefined
  const router = express.Router()

  router.get('/slack/install', async (request, response, next) => {
    const link = typeof request.query.link === 'string' ? request.query.link : undefined
    if (link) {
      try {
        linkTokens.verify(link)
      } catch (error) {
        page(
          response,
          400,
          'Nereid could not be installed',
          isAppError(error) ? error.message : 'This install link is not valid.',
        )
        return
      }
    }
    try {
      await installer.handleInstallPath(
        request,
        response,
        {},
        {
          scopes: [...slackBotScopes],
          ...(redirectUri ? { redirectUri } : {}),
          ...(link ? { metadata: link } : {}),
        },
      )
    } catch (error) {
      next(error)
    }
  })

  router.get('/slack/oauth_redirect', async (request, response) => {
    await installer.handleCallback(request, response, {
      successAsync: async (installation, options, _request, callbackResponse) => {
        const outcome = await afterInstall({
          installation: installation as Installation,
          link: options.metadata,
        })
        page(callbackResponse, 200, 'Nereid is installed', outcome)
      },
      failureAsync: async (error, _options, _request, callbackResponse) => {
        logger.warn({ component: 'slack', code: error.code }, 'a Slack install failed')
        page(
          callbackResponse,
          400,
          'Nereid could not be installed',
          'Slack did not complete the installation. Please start again.',
        )
      },
    })
  })

  async function afterInstall({
    installation,
    link,
  }: {
    installation: Installation
    link: string | undefined
  }): Promise<string> {
    const teamId = installation.team?.id
    const key = installationKeyOf({
      teamId,
      enterpriseId: installation.enterprise?.id,
      isEnterpriseInstall: installation.isEnterpriseInstall,
    })
    credentials.evict(key)
    const teamName = installation.team?.name ?? teamId ?? 'your Slack workspace'
    logger.info({ component: 'slack', teamId: key }, 'Slack app installed')
    if (!link || !teamId) {
      return `The app was added to ${teamName}. A Nereid admin now links it to a workspace: nereid slack link --team ${teamId ?? key} --workspace <workspace>.`
    }
    try {
      const { workspaceId } = linkTokens.verify(link)
      const result = await database.withSystem(async (system) => {
        const workspace = await findWorkspace(system, { idOrSlug: workspaceId })
        if (!workspace) return undefined
        await linkSlackTeam(system, { teamId, workspaceId, teamName: installation.team?.name })
        return workspace
      })
      identity.forgetTeams()
      if (!result) return `The app was added to ${teamName}, but the workspace of this link no longer exists.`
      return `The app was added to ${teamName} and linked to the Nereid workspace "${result.name}". Mention @Nereid in a channel or send it a direct message.`
    } catch (error) {
      if (!isAppError(error)) throw error
      return `The app was added to ${teamName}, but it was not linked: ${error.message}`
    }
  }

  return router
}

function page(response: ServerResponse, status: number, title: string, message: string): void {
  const escapeHtml = (text: string) =>
    text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)
  response.statusCode = status
  response.setHeader('Content-Type', 'text/html; charset=utf-8')
  response.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;line-height:1.5">` +
      `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`,
  )
}
