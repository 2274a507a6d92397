/**
 * The fixed vocabularies of the schema. Migrations turn them into CHECK constraints; API and
 * tool schemas reuse them, so a value is valid in one place exactly when it is valid in all.
 */
export const memberRoles = ['owner', 'admin', 'member', 'viewer'] as const
export type MemberRole = (typeof memberRoles)[number]

export const workspacePlans = ['free', 'team', 'business', 'enterprise'] as const
export const customerStatuses = ['lead', 'active', 'inactive', 'churned'] as const
export const prospectStages = [
  'new',
  'contacted',
  'qualified',
  'proposal',
  'negotiation',
  'won',
  'lost',
] as const
export const dealStages = ['qualification', 'discovery', 'proposal', 'negotiation', 'won', 'lost'] as const
export const closedDealStages = ['won', 'lost'] as const
export const interactionTypes = ['call', 'email', 'meeting', 'note'] as const
export const taskStatuses = ['todo', 'in_progress', 'done', 'cancelled'] as const
export const taskPriorities = ['low', 'medium', 'high', 'urgent'] as const
export const campaignChannels = ['email', 'sms'] as const
export const campaignStatuses = ['draft', 'scheduled', 'sending', 'sent', 'paused', 'cancelled'] as const
export const recipientStatuses = [
  'pending',
  'sent',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'unsubscribed',
] as const
export const auditActorTypes = ['user', 'api_key', 'assistant', 'system'] as const

export const toolRisks = ['read', 'write', 'bulk', 'external', 'destructive'] as const
export type ToolRisk = (typeof toolRisks)[number]
export const toolCategories = ['crm', 'tasks', 'campaigns'] as const
export type ToolCategory = (typeof toolCategories)[number]
export const autonomyModes = ['auto', 'ask', 'off'] as const
export type AutonomyMode = (typeof autonomyModes)[number]
export const autonomyScopeTypes = ['tool', 'category', 'risk'] as const
export type AutonomyScopeType = (typeof autonomyScopeTypes)[number]
export const actionChannels = ['api', 'widget', 'slack', 'cli', 'insight'] as const
export type ActionChannel = (typeof actionChannels)[number]
export const pendingActionStatuses = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'executing',
  'executed',
  'failed',
  'cancelled',
] as const
export type PendingActionStatus = (typeof pendingActionStatuses)[number]
export const actionHistoryStatuses = [
  'executed',
  'rejected',
  'denied',
  'failed',
  'expired',
  'undone',
] as const
export type ActionHistoryStatus = (typeof actionHistoryStatuses)[number]

export const documentSourceTypes = ['file', 'url', 'text'] as const
export type DocumentSourceType = (typeof documentSourceTypes)[number]
export const documentStatuses = ['processing', 'ready', 'failed'] as const
export type DocumentStatus = (typeof documentStatuses)[number]

export const chatChannels = ['api', 'widget', 'slack', 'cli'] as const
export type ChatChannel = (typeof chatChannels)[number]
export const messageRoles = ['user', 'assistant'] as const
export type MessageRole = (typeof messageRoles)[number]
/** `streaming` while the model writes; `error` and `aborted` keep what arrived, marked as such. */
export const messageStatuses = ['streaming', 'complete', 'error', 'aborted'] as const
export type MessageStatus = (typeof messageStatuses)[number]

/** What a Slack approval card shows: waiting, or the outcome of the pending action it stands for. */
export const slackCardStatuses = [
  'pending',
  'executed',
  'failed',
  'rejected',
  'expired',
  'cancelled',
] as const
export type SlackCardStatus = (typeof slackCardStatuses)[number]

/** Proactive insights (assistant/insights): how urgent, and where each one stands. */
export const insightSeverities = ['info', 'warning', 'critical'] as const
export type InsightSeverity = (typeof insightSeverities)[number]
export const insightStatuses = ['open', 'dismissed', 'snoozed', 'accepted', 'resolved'] as const
export type InsightStatus = (typeof insightStatuses)[number]
/** Where a notification may be pushed beyond the in-app list. */
export const notificationChannels = ['widget', 'slack'] as const
export type NotificationChannel = (typeof notificationChannels)[number]
