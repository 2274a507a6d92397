import type { App } from '@slack/bolt'
import type { SlackBotContext } from './slack-bot-context.ts'

/**
 * `app_uninstalled` and `tokens_revoked`: the team's token stops being used at once (the
 * installation is marked revoked; a single-workspace token is dropped until restart). The team's
 * link to its workspace stays, so reinstalling restores the bot without an admin.
 */
export function registerLifecycleEvents(app: App, context: SlackBotContext): void {
  app.event('app_uninstalled', async ({ body }) => {
    const envelope = body as { team_id?: string; enterprise_id?: string; is_enterprise_install?: boolean }
    context.logger.warn({ component: 'slack', teamId: envelope.team_id }, 'the Slack app was uninstalled')
    await context.credentials.revoke({
      teamId: envelope.team_id,
      enterpriseId: envelope.enterprise_id,
      isEnterpriseInstall: envelope.is_enterprise_install,
    })
  })
  app.event('tokens_revoked', async ({ event, body }) => {
    const envelope = body as { team_id?: string; enterprise_id?: string; is_enterprise_install?: boolean }
    const revoked = event as { tokens?: { bot?: string[] } }
    if (!revoked.tokens?.bot?.length) return
    context.logger.warn({ component: 'slack', teamId: envelope.team_id }, 'Slack revoked the bot token')
    await context.credentials.revoke({
      teamId: envelope.team_id,
      enterpriseId: envelope.enterprise_id,
      isEnterpriseInstall: envelope.is_enterprise_install,
    })
  })
}
