export { approveActionId, rejectActionId } from './approval-card.ts'
export {
  type CreateSlackBotOptions,
  createSlackBot,
  type SlackBot,
  type SlackSettings,
  slackSettingsFromConfig,
} from './create-slack-bot.ts'
export { createInstallLinkTokens, type InstallLinkTokens } from './install-link-token.ts'
export { markdownToMrkdwn } from './markdown-to-mrkdwn.ts'
export { defaultReplyTiming, type ReplyTiming } from './slack-reply.ts'
export { slackBotEvents, slackBotScopes } from './slack-scopes.ts'
export { slashCommand } from './slash-command.ts'
export { splitMessage } from './split-message.ts'
export { deriveSecret } from './token-cipher.ts'
export { signSlackRequest, verifySlackSignature } from './verify-slack-signature.ts'
