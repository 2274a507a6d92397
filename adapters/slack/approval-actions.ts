import type { App } from '@slack/bolt'
import { z } from 'zod'
import { isAppError } from '../../core/index.ts'
import { approveActionId, rejectActionId } from './approval-card.ts'
import { type ButtonClick, identifyClicker, onButtonClicks } from './button-clicks.ts'
import type { SlackBotContext } from './slack-bot-context.ts'

/**
 * The Approve and Reject buttons of approval cards. The click is acknowledged first; then the
 * clicking Slack user is matched to a member of the team's linked workspace and the decision goes
 * through the tool service like any other channel's.
 *
 * Authorization is the tool service's: only the requester or an owner/admin may decide (anyone
 * else gets an ephemeral refusal), exactly once (a second click, or a decision elsewhere first,
 * is a 409 that becomes "already approved by X"). Tenancy: the pending action is looked up inside
 * the linked workspace only, so a card (or a forged button value) naming another workspace's
 * action finds nothing. The card itself is updated by the bus listener (approval-cards.ts), the
 * same path a decision from the widget or the API takes; the conversation continues in the thread
 * through the chat service's continuation.
 */
export function registerApprovalActions(app: App, context: SlackBotContext): void {
  onButtonClicks(
    app,
    context,
    [
      [approveActionId, 'approve'],
      [rejectActionId, 'reject'],
    ] as const,
    (click) => decide(context, click),
  )
}

async function decide(context: SlackBotContext, click: ButtonClick<'approve' | 'reject'>): Promise<void> {
  const { decision, value: pendingActionId } = click
  const { actor, tell } = await identifyClicker(context, click, { threadTs: click.threadTs })
  if (!actor) return
  if (!z.uuid().safeParse(pendingActionId).success) {
    await tell('This button does not name an action I know.')
    return
  }
  const workspaceId = actor.workspaceId
  try {
    if (decision === 'approve') await context.toolService.approve({ actor, actionId: pendingActionId })
    else await context.toolService.reject({ actor, actionId: pendingActionId, reason: 'Rejected in Slack.' })
  } catch (error) {
    if (!isAppError(error)) throw error
    if (error.code === 'conflict' || error.code === 'expired') {
      await tell(`Already decided: ${error.message.replace(/^This action was already /, 'it was already ')}`)
      // Whatever the card shows, make it show the outcome (a missed update, a restart).
      await context.cards.sync({ workspaceId, actionId: pendingActionId })
      return
    }
    if (error.code === 'not_found') {
      await tell('I cannot find this request in your workspace any more.')
      return
    }
    if (error.code === 'forbidden') {
      await tell(`You can't decide this one: ${error.message}`)
      return
    }
    // The change itself failed: the card shows it (bus event); tell the person too.
    await tell(`It was approved, but the change failed: ${error.message}`)
  }
}
