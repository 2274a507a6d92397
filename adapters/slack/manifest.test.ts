import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { slackBotEvents, slackBotScopes } from './slack-scopes.ts'
import { slashCommand } from './slash-command.ts'

const manifest = JSON.parse(readFileSync(new URL('./manifest.json', import.meta.url), 'utf8'))

describe('the Slack app manifest', () => {
  it('asks for exactly the scopes the install asks for', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...slackBotScopes].sort())
  })

  it('subscribes to the events the bot handles, on the one events URL', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...slackBotEvents].sort())
    const eventsUrl = new URL(manifest.settings.event_subscriptions.request_url).pathname
    expect(eventsUrl).toBe('/slack/events')
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe('/slack/events')
    expect(new URL(manifest.features.slash_commands[0].url).pathname).toBe('/slack/events')
    expect(new URL(manifest.oauth_config.redirect_urls[0]).pathname).toBe('/slack/oauth_redirect')
  })

  it('declares the slash command and the assistant view', () => {
    expect(manifest.features.slash_commands.map((command: { command: string }) => command.command)).toEqual([
      slashCommand,
    ])
    expect(manifest.features.assistant_view.assistant_description).toBeTruthy()
    expect(manifest.features.app_home.messages_tab_enabled).toBe(true)
  })
})
