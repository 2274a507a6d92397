import type { ChatService } from '../../assistant/index.ts'
import type { Clock, Logger } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { ToolService } from '../../tools/index.ts'
import type { ApprovalCards } from './approval-cards.ts'
import type { BotCredentials } from './bot-credentials.ts'
import type { DeliveryDedupe } from './delivery-dedupe.ts'
import type { SlackInsightDecisions } from './insight-actions.ts'
import type { SlackClients } from './slack-clients.ts'
import type { SlackIdentity } from './slack-identity.ts'
import type { ReplyTiming, StreamingSupport } from './slack-reply.ts'
import type { SlackUserDirectory } from './slack-user-directory.ts'

/** What the Slack handlers share: the services behind the bot and its Slack plumbing. */
export interface SlackBotContext {
  database: Database
  chat: ChatService
  toolService: ToolService
  clients: SlackClients
  credentials: BotCredentials
  identity: SlackIdentity
  directory: SlackUserDirectory
  dedupe: DeliveryDedupe
  cards: ApprovalCards
  /** Accept / Dismiss of insight messages; without it, insight messages have no buttons. */
  insights: SlackInsightDecisions | undefined
  streaming: StreamingSupport
  timing: ReplyTiming
  logger: Logger
  clock: Clock
  /** Conversations whose turn this process is rendering into Slack itself (the mirror leaves them alone). */
  renderingHere: Set<string>
  /** Runs `work` after the previous work with the same key has finished (one turn at a time per conversation). */
  serialize<Result>(key: string, work: () => Promise<Result>): Promise<Result>
  /** Runs `work` when one of the process's turn slots is free (a burst of events queues here). */
  limit<Result>(work: () => Promise<Result>): Promise<Result>
}

/** A per-key queue: work for one key runs one at a time, in order; keys are independent. */
export function createSerializer() {
  const tails = new Map<string, Promise<unknown>>()
  return function serialize<Result>(key: string, work: () => Promise<Result>): Promise<Result> {
    const previous = tails.get(key) ?? Promise.resolve()
    const next = previous.then(work, work)
    const tail = next.catch(() => undefined)
    tails.set(key, tail)
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key)
    })
    return next
  }
}

/**
 * At most `slots` pieces of work at once; the rest wait in order. Slack answers are bounded this
 * way so that a burst of events cannot crowd out the event loop (acknowledging the next request
 * stays fast) or flood the model server.
 */
export function createLimiter(slots: number) {
  let running = 0
  const waiting: (() => void)[] = []
  return async function limit<Result>(work: () => Promise<Result>): Promise<Result> {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve))
    else running += 1
    try {
      return await work()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else running -= 1
    }
  }
}
