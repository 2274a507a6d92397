import { createHash, randomUUID } from 'node:crypto'
import {
  convertToModelMessages,
  createUIMessageStream,
  isStepCount,
  type LanguageModel,
  type LanguageModelUsage,
  streamText,
  type UIMessage,
  type UIMessageChunk,
  type UIMessageStreamWriter,
} from 'ai'
import { z } from 'zod'
import {
  AppError,
  type Clock,
  type EventBus,
  type IdGenerator,
  isAppError,
  type Logger,
} from '../core/index.ts'
import {
  appendMessage,
  type ChatChannel,
  type ConversationRecord,
  cancelPendingActions,
  createConversation,
  type Database,
  findConversation,
  findMember,
  findMemberInWorkspace,
  findMessageByToolCall,
  findPendingAction,
  listMessages,
  type MessageRecord,
  setConversationSummary,
  type TenantTransaction,
  updateMessageParts,
} from '../db/index.ts'
import type { KnowledgeService } from '../ingest/index.ts'
import type { Actor, ToolService } from '../tools/index.ts'
import { createAssistantTools, type PendingCall } from './assistant-tools.ts'
import { type Citation, createCitationRegistry, describeCitation, sourceChunkFor } from './citations.ts'
import { type HistoryWindow, messagesToSummarize, summarizeConversation } from './conversation-summary.ts'
import { buildInstructions } from './instructions.ts'
import { createSearchKnowledgeTool } from './search-knowledge-tool.ts'

/** The configured chat model; absent means search mode (no language model). */
export interface ChatModel {
  model: LanguageModel
  modelId: string
}

export interface ChatServiceOptions {
  database: Database
  toolService: ToolService
  knowledge: Pick<KnowledgeService, 'searchKnowledge'>
  chatModel?: ChatModel | undefined
  clock: Clock
  logger: Logger
  bus: EventBus
  ids?: IdGenerator
  /** Model calls per turn (tool use included). */
  maxSteps?: number
  /** Per model call, in milliseconds. */
  stepTimeoutMs?: number
  /** Retries of a model call after 429/5xx, with backoff (the AI SDK's). */
  maxRetries?: number
  /** Stored messages the model always sees verbatim (the newest); older ones are summarized. */
  historyMessages?: number
  /** How many older messages pile up before they are folded into the summary in one model call. */
  summaryBatch?: number
}

/** One chunk of an assistant message as it streams, for adapters that fan it out (the widget). */
export interface TurnChunkEvent {
  workspaceId: string
  /** The member the conversation belongs to. */
  userId: string
  conversationId: string
  chunk: UIMessageChunk
}

/** One turn's request from any channel. */
export interface TurnRequest {
  actor: Actor & { channel: ChatChannel }
  /** The client's chat id (AI SDK `id`); any string, mapped to one conversation per member. */
  chatId: string
  /** The newest message: the member's text, or the assistant message carrying approval responses. */
  message: unknown
  abortSignal?: AbortSignal | undefined
}

const partSchema = z.looseObject({ type: z.string().max(100) })
const incomingMessageSchema = z.object({
  id: z.string().max(200).optional(),
  role: z.enum(['user', 'assistant']),
  parts: z.array(partSchema).min(1).max(200),
})
const maxUserText = 20_000

interface ToolPart {
  type: string
  toolCallId: string
  state: string
  input?: unknown
  output?: unknown
  errorText?: string
  approval?: {
    id: string
    approved?: boolean
    reason?: string
    requestReason?: string
    isAutomatic?: boolean
  }
}

const isToolPart = (part: unknown): part is Record<string, unknown> & ToolPart => {
  const candidate = part as Partial<ToolPart>
  return (
    typeof candidate.toolCallId === 'string' &&
    typeof candidate.type === 'string' &&
    candidate.type.startsWith('tool-')
  )
}

/**
 * A stable conversation id for a client's chat id: the id itself when it is a uuid, otherwise a
 * uuid derived from the workspace, the member and the chat id, so `useChat`'s own ids work and two
 * members can never land in the same conversation.
 */
export function conversationIdFor({
  workspaceId,
  userId,
  chatId,
}: {
  workspaceId: string
  userId: string
  chatId: string
}): string {
  if (z.uuid().safeParse(chatId).success) return chatId.toLowerCase()
  const hex = createHash('sha256').update(`${workspaceId}\u0000${userId}\u0000${chatId}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * The assistant turn (DESIGN.md): load the conversation, build the instructions, stream the
 * model's answer with the member's tools and `search_knowledge`, route every tool call through
 * the autonomy policy, persist the turn. Decisions on pending actions, from this client or any
 * other channel, continue the conversation with the result.
 *
 * No transaction is ever held across a model call: each database step is its own short
 * transaction, and the model streams in between.
 */
export function createChatService({
  database,
  toolService,
  knowledge,
  chatModel,
  clock,
  logger,
  bus,
  ids = randomUUID,
  maxSteps = 8,
  stepTimeoutMs = 60_000,
  maxRetries = 2,
  historyMessages = 24,
  summaryBatch = 12,
}: ChatServiceOptions) {
  const window: HistoryWindow = { keep: historyMessages, batch: summaryBatch }
  /** Conversations being summarized by this process (one summary call at a time per conversation). */
  const summarizing = new Set<string>()
  const chunkListeners = new Set<(event: TurnChunkEvent) => void>()
  const tenantOf = (actor: Actor) => ({ workspaceId: actor.workspaceId, userId: actor.userId })
  /** Tool calls this process is continuing itself; the bus listener leaves them alone. */
  const continuingHere = new Set<string>()

  async function loadConversation(
    tenant: TenantTransaction,
    {
      id,
      actor,
      create,
      title,
    }: { id: string; actor: Actor & { channel: ChatChannel }; create: boolean; title: string },
  ): Promise<ConversationRecord> {
    const own = await findConversation(tenant, { id, userId: actor.userId, lock: true })
    if (own) return own
    // None to create, or another member's conversation (the id is taken): the same answer either way.
    const notFound = () => new AppError('not_found', { message: 'No such conversation.' })
    if (!create) throw notFound()
    const created = await createConversation(tenant, {
      id,
      userId: actor.userId,
      channel: actor.channel,
      title,
    })
    if (created) return created
    // Taken: by the same member's concurrent first message (the insert waited for it), or not ours.
    const raced = await findConversation(tenant, { id, userId: actor.userId, lock: true })
    if (!raced) throw notFound()
    return raced
  }

  /** The member and workspace the instructions name. */
  async function describeActor(tenant: TenantTransaction, actor: Actor) {
    const found = await findMemberInWorkspace(tenant, { userId: actor.userId })
    if (!found) throw new AppError('forbidden', { message: 'You are not a member of this workspace.' })
    return found
  }

  /**
   * What the model sees of the stored window, with tool calls still waiting for a decision shown
   * as pending results (the model must not call them again).
   */
  function toModelHistory(messages: MessageRecord[]): Omit<UIMessage, 'id'>[] {
    return messages.map((message) => ({
      role: message.role,
      parts: message.parts.map((part) => {
        if (
          isToolPart(part) &&
          (part.state === 'approval-requested' || part.state === 'approval-responded')
        ) {
          return {
            ...part,
            state: 'output-available',
            output: {
              status: 'pending',
              actionId: part.approval?.id,
              summary: part.approval?.requestReason,
              note: 'Still waiting for a decision.',
            },
          }
        }
        return part
      }) as UIMessage['parts'],
    }))
  }

  /**
   * An approval request as the client gets it: carrying the pending action (id and summary), not an
   * SDK id. Applied in the loop that copies the model's chunks (a TransformStream stage here cost
   * every chunk of every turn another round of stream promises).
   */
  function withPendingAction(chunk: UIMessageChunk, pending: Map<string, PendingCall>): UIMessageChunk {
    if (chunk.type !== 'tool-approval-request') return chunk
    const call = pending.get(chunk.toolCallId)
    return call ? { ...chunk, approvalId: call.actionId, reason: call.summary } : chunk
  }

  /** Writes one text part to the stream. */
  function writeText(writer: UIMessageStreamWriter, text: string): void {
    const id = ids()
    writer.write({ type: 'text-start', id })
    writer.write({ type: 'text-delta', id, delta: text })
    writer.write({ type: 'text-end', id })
  }

  /** Search mode: no language model is configured, so the answer is the best passages, cited. */
  async function searchModeAnswer({
    actor,
    question,
    writer,
  }: {
    actor: Actor
    question: string
    writer: UIMessageStreamWriter
  }): Promise<void> {
    const citations = createCitationRegistry()
    const hits = question
      ? await knowledge.searchKnowledge({ context: tenantOf(actor), query: question, k: 5 })
      : []
    const listed = hits.map((hit) => ({ citation: citations.add(hit).citation, hit }))
    const lines = [
      'No language model is configured, so I cannot write an answer or change anything; an administrator can set OPENAI_API_KEY or OPENAI_BASE_URL (see `nereid doctor`).',
    ]
    if (listed.length === 0) lines.push('', 'Nothing in the knowledge base matches your question.')
    else {
      lines.push('', 'The most relevant passages from your knowledge base:')
      for (const { citation, hit } of listed) {
        const excerpt = hit.text.length > 400 ? `${hit.text.slice(0, 400).trimEnd()}…` : hit.text
        lines.push('', `[${citation.index}] ${describeCitation(citation)}: ${excerpt}`)
      }
    }
    writeText(writer, lines.join('\n'))
    for (const { citation } of listed) writer.write(sourceChunkFor(citation))
  }

  /** The instructions and the stored window the model sees, read in the caller's transaction. */
  async function loadModelContext(
    tenant: TenantTransaction,
    {
      actor,
      conversation,
      current,
      history,
    }: {
      actor: Actor
      conversation: ConversationRecord
      current?: ConversationRecord
      /** The whole stored conversation when the caller already holds it (a new conversation). */
      history?: MessageRecord[]
    },
  ): Promise<{ instructions: string; history: MessageRecord[] }> {
    const { workspace, member } = await describeActor(tenant, actor)
    const latest =
      current ??
      (await findConversation(tenant, { id: conversation.id, userId: conversation.userId })) ??
      conversation
    return {
      instructions: buildInstructions({
        workspaceName: workspace.name,
        timeZone: workspace.timeZone,
        member: { name: member.name ?? null, email: member.email, role: member.role },
        now: clock.now(),
        summary: latest.summary,
      }),
      history:
        history ??
        (await listMessages(tenant, {
          conversationId: conversation.id,
          fromPosition: latest.summarizedThrough,
          newest: window.keep * 2,
        })),
    }
  }

  /** Runs the model on the stored conversation and merges its stream into `writer`. */
  async function runModel({
    actor,
    conversation,
    writer,
    abortSignal,
    usage,
    pendingOut,
    preloaded,
  }: {
    actor: Actor & { channel: ChatChannel }
    conversation: ConversationRecord
    writer: UIMessageStreamWriter
    abortSignal?: AbortSignal | undefined
    usage: { value?: LanguageModelUsage }
    pendingOut: Map<string, PendingCall>
    preloaded?: { instructions: string; history: MessageRecord[] } | undefined
  }): Promise<void> {
    const { instructions, history } =
      preloaded ??
      (await database.withTenant(tenantOf(actor), (tenant) =>
        loadModelContext(tenant, { actor, conversation }),
      ))
    const boundActor = { ...actor, conversationId: conversation.id }
    const assistantTools = createAssistantTools({ toolService, actor: boundActor })
    const citations = createCitationRegistry()
    const searchTool = createSearchKnowledgeTool({
      knowledge,
      context: tenantOf(actor),
      citations,
      onCitations: (added: Citation[]) => {
        for (const citation of added) writer.write(sourceChunkFor(citation))
      },
    })
    const messages = await convertToModelMessages(toModelHistory(history), {
      tools: assistantTools.tools,
      ignoreIncompleteToolCalls: true,
    })
    const result = streamText({
      model: chatModel!.model,
      instructions,
      messages,
      tools: { ...assistantTools.tools, search_knowledge: searchTool },
      toolApproval: assistantTools.toolApproval as never,
      stopWhen: isStepCount(maxSteps),
      maxRetries,
      timeout: { stepMs: stepTimeoutMs },
      abortSignal,
      // Failures reach the client through the UI stream's onError (and the log there); without this
      // the AI SDK would also print each one to the console.
      onError: () => {},
      onFinish: ({ totalUsage }) => {
        usage.value = totalUsage
      },
    })
    // Read the model's stream here (rather than merging it) so this step ends when the model does.
    const modelStream = result.toUIMessageStream({
      sendStart: false,
      sendFinish: false,
      onError: (error) => describeModelError(error),
    })
    for await (const chunk of modelStream) {
      // The AI SDK ends a timed-out step as an abort; only the client going away is one here.
      if (chunk.type === 'abort' && !abortSignal?.aborted) {
        throw new DOMException(chunk.reason ?? 'The model step timed out.', 'TimeoutError')
      }
      writer.write(withPendingAction(chunk, assistantTools.pending))
    }
    for (const [toolCallId, call] of assistantTools.pending) pendingOut.set(toolCallId, call)
  }

  /** A clear, safe sentence for a failed model call (details go to the log). */
  function describeModelError(error: unknown): string {
    logger.warn({ err: error }, 'model call failed')
    const status =
      (error as { statusCode?: number; lastError?: { statusCode?: number } })?.statusCode ??
      (error as { lastError?: { statusCode?: number } })?.lastError?.statusCode
    if (status === 429) return 'The language model is rate limited right now; please try again in a minute.'
    if (typeof status === 'number' && status >= 500)
      return 'The language model server failed; please try again.'
    if ((error as Error)?.name === 'AbortError' || (error as Error)?.name === 'TimeoutError')
      return 'The language model took too long to answer; please try again.'
    return 'The language model could not answer; please try again.'
  }

  /**
   * Streams one assistant message: `produce` writes into it; the message is persisted when the
   * stream ends (complete, error or aborted), and pending actions whose approval request did not
   * make it into the stored message are cancelled (no orphan approvals).
   */
  function assistantStream({
    actor,
    conversation,
    produce,
    onStored,
  }: {
    actor: Actor & { channel: ChatChannel }
    conversation: ConversationRecord
    produce: (context: {
      writer: UIMessageStreamWriter
      usage: { value?: LanguageModelUsage }
      pending: Map<string, PendingCall>
    }) => Promise<void>
    onStored?: (message: MessageRecord) => void
  }): ReadableStream<UIMessageChunk> {
    const usage: { value?: LanguageModelUsage } = {}
    const pending = new Map<string, PendingCall>()
    let failure: string | undefined
    const messageId = ids()
    const announce = new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        for (const listener of chunkListeners) {
          try {
            listener({
              workspaceId: actor.workspaceId,
              userId: conversation.userId,
              conversationId: conversation.id,
              chunk,
            })
          } catch (error) {
            logger.warn({ err: error }, 'a turn chunk listener failed')
          }
        }
        controller.enqueue(chunk)
      },
    })
    return createUIMessageStream({
      generateId: () => messageId,
      execute: async ({ writer }) => {
        writer.write({ type: 'start', messageId, messageMetadata: { conversationId: conversation.id } })
        try {
          await produce({ writer, usage, pending })
        } catch (error) {
          failure = isAppError(error) && error.status < 500 ? error.message : describeModelError(error)
          writer.write({ type: 'error', errorText: failure })
        }
        writer.write({ type: 'finish' })
      },
      onError: (error) => {
        failure = describeModelError(error)
        return failure
      },
      onFinish: async ({ responseMessage, isAborted }) => {
        const parts = responseMessage.parts.filter((part) => part.type !== 'step-start')
        const stored = await database
          .withTenant(tenantOf(actor), async (tenant) => {
            const asked = new Set(
              (parts as unknown[])
                .filter(isToolPart)
                .filter((part) => part.state === 'approval-requested')
                .map((part) => part.toolCallId),
            )
            const orphans = [...pending].filter(
              ([toolCallId]) => !asked.has(toolCallId) || failure !== undefined,
            )
            const cancelled = await cancelPendingActions(tenant, {
              ids: orphans.map(([, call]) => call.actionId),
              reason: 'The conversation turn failed before the request reached anyone.',
              now: clock.now(),
            })
            const kept = parts.filter(
              (part) => !(isToolPart(part) && cancelled.includes(part.approval?.id ?? '')),
            )
            return appendMessage(tenant, {
              id: messageId,
              conversationId: conversation.id,
              role: 'assistant',
              parts: kept,
              status: failure ? 'error' : isAborted ? 'aborted' : 'complete',
              error: failure,
              usage: usage.value
                ? { inputTokens: usage.value.inputTokens ?? 0, outputTokens: usage.value.outputTokens ?? 0 }
                : undefined,
              model: chatModel?.modelId,
            })
          })
          .catch((error: unknown) => {
            logger.error(
              { err: error, conversationId: conversation.id },
              'could not store the assistant message',
            )
            return undefined
          })
        if (stored) {
          onStored?.(stored)
          // Nothing can need folding before the conversation has more than keep + batch messages.
          if (chatModel && stored.status === 'complete' && stored.position + 1 > window.keep + window.batch) {
            void summarizeIfLong({ workspaceId: actor.workspaceId, conversation })
          }
          void bus
            .publish({
              type: 'conversation.message',
              workspaceId: actor.workspaceId,
              conversationId: conversation.id,
              userId: conversation.userId,
              messageId: stored.id,
              status: stored.status,
              text: textOf(stored.parts),
            })
            .catch(() => {})
        }
      },
    }).pipeThrough(announce)
  }

  /**
   * Folds older messages into the conversation's running summary once enough have piled up
   * (conversation-summary.ts). Runs after a turn is stored, never inside one; a failure only
   * leaves the window a little longer until the next try.
   */
  async function summarizeIfLong({
    workspaceId,
    conversation,
  }: {
    workspaceId: string
    conversation: ConversationRecord
  }): Promise<void> {
    if (!chatModel || summarizing.has(conversation.id)) return
    summarizing.add(conversation.id)
    try {
      const loaded = await database.withTenant({ workspaceId }, async (tenant) => {
        const current = await findConversation(tenant, { id: conversation.id, userId: conversation.userId })
        if (!current) return undefined
        const messages = await listMessages(tenant, {
          conversationId: current.id,
          fromPosition: current.summarizedThrough,
          newest: window.keep * 4,
        })
        return { current, messages }
      })
      if (!loaded) return
      const candidates = messagesToSummarize({ messages: loaded.messages, window })
      // A call still waiting for a decision stays verbatim: its result is written into it later.
      const waiting = candidates.findIndex((message) =>
        message.parts.some((part) => isToolPart(part) && part.state.startsWith('approval-')),
      )
      const folding = waiting === -1 ? candidates : candidates.slice(0, waiting)
      if (folding.length === 0) return
      const summary = await summarizeConversation({
        model: chatModel.model,
        previousSummary: loaded.current.summary,
        messages: folding,
        abortSignal: AbortSignal.timeout(stepTimeoutMs),
        maxRetries,
      })
      await database.withTenant({ workspaceId }, (tenant) =>
        setConversationSummary(tenant, {
          id: conversation.id,
          summary,
          through: folding.at(-1)!.position + 1,
          previousThrough: loaded.current.summarizedThrough,
        }),
      )
    } catch (error) {
      logger.warn({ err: error, conversationId: conversation.id }, 'could not summarize the conversation')
    } finally {
      summarizing.delete(conversation.id)
    }
  }

  /**
   * Writes a decided pending action's result into the tool call it came from, exactly once (the
   * message row is locked and the part must still be waiting). Returns the conversation when the
   * assistant message has no other call waiting, i.e. when the model should continue.
   */
  async function settleToolCall({
    workspaceId,
    actionId,
  }: {
    workspaceId: string
    actionId: string
  }): Promise<ConversationRecord | undefined> {
    // Workspace scope only: the decision may come from an admin or a process with no member at all;
    // the conversation is found through the action's own requester below.
    return database.withTenant({ workspaceId }, async (tenant) => {
      const action = await findPendingAction(tenant, { id: actionId })
      if (!action?.conversationId || !action.toolCallId || !action.requestedById) return undefined
      if (action.status === 'pending' || action.status === 'executing') return undefined
      const conversation = await findConversation(tenant, {
        id: action.conversationId,
        userId: action.requestedById,
        lock: true,
      })
      if (!conversation) return undefined
      const message = await findMessageByToolCall(tenant, {
        conversationId: conversation.id,
        toolCallId: action.toolCallId,
      })
      if (!message) return undefined
      let changed = false
      const parts = message.parts.map((part) => {
        if (!isToolPart(part) || part.toolCallId !== action.toolCallId || part.state !== 'approval-requested')
          return part
        changed = true
        const approval = { id: actionId, requestReason: action.summary }
        if (action.status === 'executed') {
          return {
            ...part,
            state: 'output-available',
            approval: { ...approval, approved: true },
            output: { status: 'executed', actionId, summary: action.summary, result: action.result },
          }
        }
        if (action.status === 'failed') {
          return {
            ...part,
            state: 'output-error',
            approval: { ...approval, approved: true },
            errorText: action.error ?? 'The change failed; nothing was changed.',
          }
        }
        const reason =
          action.status === 'rejected'
            ? `Rejected by the member${action.error ? `: ${action.error}` : '.'}`
            : `Not run: the request ${action.status === 'expired' ? 'expired' : 'was cancelled'}.`
        return { ...part, state: 'output-denied', approval: { ...approval, approved: false, reason } }
      })
      if (!changed) return undefined
      await updateMessageParts(tenant, { id: message.id, parts })
      const stillWaiting = parts.some((part) => isToolPart(part) && part.state === 'approval-requested')
      return stillWaiting ? undefined : conversation
    })
  }

  /** The continuation after decisions: the model sees the results and answers (or a short note). */
  function continuation({
    actor,
    conversation,
    abortSignal,
  }: {
    actor: Actor & { channel: ChatChannel }
    conversation: ConversationRecord
    abortSignal?: AbortSignal | undefined
  }): ReadableStream<UIMessageChunk> {
    return assistantStream({
      actor,
      conversation,
      produce: async ({ writer, usage, pending }) => {
        if (chatModel) {
          await runModel({ actor, conversation, writer, abortSignal, usage, pendingOut: pending })
          return
        }
        const stored = await database.withTenant(tenantOf(actor), (tenant) =>
          listMessages(tenant, { conversationId: conversation.id }),
        )
        const decided = (stored.at(-1)?.parts ?? []).filter(isToolPart)
        writeText(
          writer,
          decided
            .map((part) =>
              part.state === 'output-available'
                ? `Done: ${part.approval?.requestReason ?? 'the change ran'}.`
                : part.state === 'output-error'
                  ? `Failed: ${part.errorText}`
                  : `Not done: ${part.approval?.requestReason ?? 'the change'} (${part.approval?.reason ?? 'rejected'}).`,
            )
            .join('\n') || 'Decision recorded.',
        )
      },
    })
  }

  /**
   * Continues a conversation after a decision taken on another channel (API, Slack, widget):
   * settles the tool call and, when nothing else waits, lets the model answer with the result.
   * Safe to call from every process that hears of the decision: only one settles it.
   */
  async function continueAfterDecision({
    workspaceId,
    actionId,
  }: {
    workspaceId: string
    actionId: string
  }): Promise<string | undefined> {
    if (continuingHere.has(actionId)) return undefined
    const conversation = await settleToolCall({ workspaceId, actionId })
    if (!conversation) return undefined
    const member = await database.withTenant({ workspaceId }, (tenant) =>
      findMember(tenant, { idOrEmail: conversation.userId }),
    )
    if (!member) return undefined
    const actor = {
      workspaceId,
      userId: conversation.userId,
      role: member.role,
      channel: conversation.channel,
      conversationId: conversation.id,
    }
    const reader = continuation({ actor, conversation }).getReader()
    while (!(await reader.read()).done) {
      // Drained: the message is stored and announced on the bus when the stream ends.
    }
    return conversation.id
  }

  return {
    continueAfterDecision,

    /**
     * Calls `listener` with every chunk of every assistant message this process streams (turns and
     * continuations after a decision), so an adapter can show it on all of a member's open
     * sessions. Returns the unsubscribe.
     */
    observeTurns(listener: (event: TurnChunkEvent) => void): () => void {
      chunkListeners.add(listener)
      return () => chunkListeners.delete(listener)
    },

    /** The model in use, or undefined in search mode. */
    chatModel,

    /**
     * One turn from a client. A user message is stored and answered; an assistant message that
     * carries approval responses (AI SDK `addToolApprovalResponse`) decides those actions as the
     * member, then the conversation continues with the results.
     */
    async streamTurn({ actor, chatId, message, abortSignal }: TurnRequest): Promise<{
      conversationId: string
      stream: ReadableStream<UIMessageChunk>
    }> {
      const parsed = incomingMessageSchema.safeParse(message)
      if (!parsed.success) {
        throw new AppError('bad_request', { message: 'The newest message must have a role and parts.' })
      }
      const conversationId = conversationIdFor({
        workspaceId: actor.workspaceId,
        userId: actor.userId,
        chatId,
      })
      const incoming = parsed.data

      if (incoming.role === 'assistant') {
        const responses = incoming.parts
          .filter(isToolPart)
          .filter(
            (part) => part.state === 'approval-responded' && typeof part.approval?.approved === 'boolean',
          )
        if (responses.length === 0) {
          throw new AppError('bad_request', {
            message: 'An assistant message is only accepted with approval responses.',
          })
        }
        await database.withTenant(tenantOf(actor), (tenant) =>
          loadConversation(tenant, { id: conversationId, actor, create: false, title: '' }),
        )
        let toContinue: ConversationRecord | undefined
        const refusals: string[] = []
        for (const response of responses) {
          const actionId = response.approval!.id
          // Until this request has settled the call itself, this process's bus listener leaves it
          // alone (otherwise the continuation could go to the bus instead of this response).
          continuingHere.add(actionId)
          try {
            try {
              // The response is only a reference: it must name a pending action of this
              // conversation and tool call; the stored action (its input, requester, workspace) is
              // what runs.
              const action = z.uuid().safeParse(actionId).success
                ? await database.withTenant(tenantOf(actor), (tenant) =>
                    findPendingAction(tenant, { id: actionId }),
                  )
                : undefined
              if (
                !action ||
                action.conversationId !== conversationId ||
                action.toolCallId !== response.toolCallId
              ) {
                throw new AppError('not_found', { message: 'No pending action matches this approval.' })
              }
              if (response.approval!.approved) await toolService.approve({ actor, actionId })
              else await toolService.reject({ actor, actionId, reason: response.approval!.reason })
            } catch (error) {
              if (!isAppError(error) || error.status >= 500) throw error
              // Already decided elsewhere: the settle step below still applies its outcome.
              if (error.code !== 'conflict' && error.code !== 'expired') {
                refusals.push(error.message)
                continue
              }
            }
            toContinue = (await settleToolCall({ workspaceId: actor.workspaceId, actionId })) ?? toContinue
          } finally {
            continuingHere.delete(actionId)
          }
        }
        if (refusals.length > 0 && !toContinue)
          throw new AppError('forbidden', { message: refusals.join(' ') })
        const conversation =
          toContinue ??
          (await database.withTenant(tenantOf(actor), (tenant) =>
            loadConversation(tenant, { id: conversationId, actor, create: false, title: '' }),
          ))
        if (!toContinue) {
          // Nothing left to continue (another channel did, or calls still wait): an empty message.
          return {
            conversationId,
            stream: createUIMessageStream({
              execute: ({ writer }) => {
                writer.write({ type: 'start', messageMetadata: { conversationId } })
              },
            }),
          }
        }
        return { conversationId, stream: continuation({ actor, conversation, abortSignal }) }
      }

      const text = incoming.parts
        .filter((part) => part.type === 'text' && typeof part.text === 'string')
        .map((part) => part.text as string)
        .join('\n')
        .trim()
      if (text === '') throw new AppError('bad_request', { message: 'The message has no text.' })
      if (text.length > maxUserText) {
        throw new AppError('bad_request', { message: `Messages are limited to ${maxUserText} characters.` })
      }
      const loaded = await database.withTenant(tenantOf(actor), async (tenant) => {
        const found = await loadConversation(tenant, {
          id: conversationId,
          actor,
          create: true,
          // The first text part titles it (an adapter may add context in later parts, e.g. a Slack thread).
          title:
            (
              incoming.parts.find(
                (part) => part.type === 'text' && typeof part.text === 'string' && part.text.trim(),
              )?.text as string | undefined
            )
              ?.trim()
              .replace(/\s+/g, ' ')
              .slice(0, 80) ?? '',
        })
        const appended = await appendMessage(tenant, {
          conversationId: found.id,
          role: 'user',
          parts: [{ type: 'text', text }],
          authorId: actor.userId,
        })
        // The model's context in the same transaction: one round of BEGIN/settings/COMMIT less (and
        // a conversation whose first message this is holds nothing else to read).
        const preloaded = chatModel
          ? await loadModelContext(tenant, {
              actor,
              conversation: found,
              current: found,
              history: appended.position === 0 ? [appended] : undefined,
            })
          : undefined
        return { found, preloaded }
      })
      const conversation = loaded.found
      const stream = assistantStream({
        actor,
        conversation,
        produce: async ({ writer, usage, pending }) => {
          if (!chatModel) {
            await searchModeAnswer({ actor, question: text, writer })
            return
          }
          await runModel({
            actor,
            conversation,
            writer,
            abortSignal,
            usage,
            pendingOut: pending,
            preloaded: loaded.preloaded,
          })
        },
      })
      return { conversationId, stream }
    },

    /** Listens for decisions on the bus and continues their conversations; returns the unsubscribe. */
    listen(): () => void {
      return bus.subscribe((event) => {
        if (event.type !== 'action.updated' || typeof event.actionId !== 'string') return
        if (!['executed', 'rejected', 'failed', 'expired'].includes(String(event.status))) return
        void continueAfterDecision({ workspaceId: event.workspaceId, actionId: event.actionId }).catch(
          (error: unknown) =>
            logger.error({ err: error, actionId: event.actionId }, 'could not continue the conversation'),
        )
      })
    },
  }
}

/** The plain text of stored message parts. */
export function textOf(parts: unknown[]): string {
  return parts
    .filter((part): part is { type: 'text'; text: string } => (part as { type?: string }).type === 'text')
    .map((part) => part.text)
    .join('')
}

export type ChatService = ReturnType<typeof createChatService>
