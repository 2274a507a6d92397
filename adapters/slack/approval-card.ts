import type { KnownBlock } from '@slack/web-api'
import type { SlackCardStatus } from '../../db/index.ts'
import { escapeText } from './markdown-to-mrkdwn.ts'

/** The `action_id`s of the card's buttons; the button `value` is the pending action's id. */
export const approveActionId = 'nereid_approve'
export const rejectActionId = 'nereid_reject'

/** The card asking for a decision: the action's summary, who asked, Approve and Reject. */
export function pendingCardBlocks({
  actionId,
  summary,
  requesterSlackUserId,
  toolName,
  expiresAt,
}: {
  actionId: string
  summary: string
  requesterSlackUserId: string
  toolName?: string | undefined
  expiresAt?: Date | undefined
}): KnownBlock[] {
  const details = [
    `Requested by <@${requesterSlackUserId}>`,
    ...(toolName ? [`\`${toolName}\``] : []),
    ...(expiresAt
      ? [
          `expires <!date^${Math.floor(expiresAt.getTime() / 1000)}^{date_short_pretty} at {time}|${expiresAt.toISOString()}>`,
        ]
      : []),
    'only the requester or a workspace admin can decide',
  ]
  return [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `:raised_hand: *Approval needed*\n${escapeText(summary)}` },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: details.join('  ·  ') }] },
    {
      type: 'actions',
      block_id: `nereid_approval:${actionId}`,
      elements: [
        {
          type: 'button',
          action_id: approveActionId,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: actionId,
        },
        {
          type: 'button',
          action_id: rejectActionId,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value: actionId,
        },
      ],
    },
  ]
}

const outcomes: Record<Exclude<SlackCardStatus, 'pending'>, { emoji: string; label: string }> = {
  executed: { emoji: ':white_check_mark:', label: 'Approved' },
  failed: { emoji: ':warning:', label: 'Approved, but it failed' },
  rejected: { emoji: ':no_entry_sign:', label: 'Rejected' },
  expired: { emoji: ':hourglass:', label: 'Expired' },
  cancelled: { emoji: ':heavy_minus_sign:', label: 'Cancelled' },
}

/** The card after the decision (from any channel): the outcome and who decided, no buttons. */
export function decidedCardBlocks({
  summary,
  status,
  deciderName,
  error,
}: {
  summary: string
  status: Exclude<SlackCardStatus, 'pending'>
  deciderName?: string | undefined
  error?: string | null | undefined
}): KnownBlock[] {
  const outcome = outcomes[status]
  const by =
    deciderName && status !== 'expired' && status !== 'cancelled' ? ` by ${escapeText(deciderName)}` : ''
  const context = [
    `${outcome.label}${by}`,
    ...(status === 'failed' && error ? [escapeText(error).slice(0, 500)] : []),
  ]
  return [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${outcome.emoji} *${outcome.label}*\n${escapeText(summary)}` },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: context.join('  ·  ') }] },
  ]
}

/** The notification text of a card (what Slack shows where blocks cannot be rendered). */
export function cardText({
  summary,
  status,
  deciderName,
}: {
  summary: string
  status: SlackCardStatus
  deciderName?: string | undefined
}): string {
  if (status === 'pending') return `Approval needed: ${summary}`
  return `${outcomes[status].label}${deciderName ? ` by ${deciderName}` : ''}: ${summary}`
}
