import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import type { UIMessageChunk } from 'ai'
import { z } from 'zod'
import type { ChatService } from '../../assistant/index.ts'
import { AppError, isAppError } from '../../core/index.ts'
import { type Database, findConversation, listMessages, type MessageRecord } from '../../db/index.ts'
import type { Actor } from '../../tools/index.ts'
import { resolveCommandTarget } from '../command-target.ts'
import {
  type CommandEnvironment,
  createServices,
  ensureMigrated,
  type Output,
  openRuntime,
} from '../runtime.ts'

export interface ChatCommandOptions {
  /** Workspace id or slug; default: the only workspace, or else the demo one. */
  workspace?: string | undefined
  /** Member email or user id; default: the workspace's first owner. */
  user?: string | undefined
  /** One-shot: send this message, print the answer and exit (no prompts, approvals left pending). */
  message?: string | undefined
  /** Continue this conversation (its id) instead of starting a new one. */
  conversation?: string | undefined
}

/** A tool call waiting for the member's decision: the pending action and its summary. */
interface PendingApproval {
  actionId: string
  toolCallId: string
  summary: string
}

/** What one rendered assistant message amounted to. */
interface RenderedMessage {
  /** Nothing but the start and finish of a stream (the continuation happens elsewhere). */
  empty: boolean
  failed: boolean
  approvals: PendingApproval[]
}

const sourceMetadataSchema = z.object({
  index: z.number().int(),
  page: z.number().int().nullish(),
  url: z.string().optional(),
})

const toolPartSchema = z.looseObject({
  type: z.string().startsWith('tool-'),
  toolCallId: z.string(),
  state: z.string(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  errorText: z.string().optional(),
  approval: z.looseObject({ id: z.string(), requestReason: z.string().optional() }).optional(),
})

const sourcePartSchema = z.object({
  sourceId: z.string(),
  mediaType: z.string(),
  title: z.string(),
  filename: z.string().optional(),
  providerMetadata: z.record(z.string(), z.record(z.string(), z.json())).optional(),
})

const toolOutputSchema = z.looseObject({
  status: z.string().optional(),
  summary: z.string().optional(),
  error: z.string().optional(),
})

/** Streamed text and whole lines on one output, keeping track of whether a line is open. */
function createPrinter(output: Output) {
  let atLineStart = true
  /** Text of the open line, for outputs that can only print whole lines. */
  let partial = ''
  const write = (text: string) => {
    if (text === '') return
    if (output.write) output.write(text)
    else {
      const lines = `${partial}${text}`.split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) output.log(line)
    }
    atLineStart = text.endsWith('\n')
  }
  const endLine = () => {
    if (!atLineStart) write('\n')
  }
  return {
    write,
    endLine,
    line(text: string) {
      endLine()
      output.log(text)
    },
    error(text: string) {
      endLine()
      output.error(text)
    },
    /** A prompt that the answer follows on the same line (an open line for `write` outputs). */
    prompt(text: string) {
      endLine()
      if (output.write) {
        output.write(text)
        atLineStart = false
      } else output.log(text.trimEnd())
    },
    /** The line the member typed, so a piped session reads as a transcript. */
    echo(text: string) {
      if (output.write && !atLineStart) output.write(`${text}\n`)
      else output.log(text)
      atLineStart = true
    },
  }
}

type Printer = ReturnType<typeof createPrinter>

/** `[1] Handbook, page 3`, with the URL for web pages. */
function citationLine({
  index,
  title,
  page,
  url,
}: {
  index: number
  title: string
  page?: number | null | undefined
  url?: string | undefined
}): string {
  return `[${index}] ${title}${page ? `, page ${page}` : ''}${url ? ` (${url})` : ''}`
}

/**
 * Prints one assistant message from its UI message stream chunks: text as it arrives, a line for
 * each change that ran or failed, then the sources. Sources are the passages the text cites by
 * number; when it cites none, every passage the answer was based on.
 */
function createMessageRenderer({
  printer,
  writeTools,
}: {
  printer: Printer
  writeTools: ReadonlySet<string>
}) {
  const toolNames = new Map<string, string>()
  const sources = new Map<
    number,
    { title: string; page?: number | null | undefined; url?: string | undefined }
  >()
  const approvals: PendingApproval[] = []
  let text = ''
  let empty = true
  let failed = false
  let lastTextId: string | undefined
  const describeTool = (toolCallId: string) => toolNames.get(toolCallId) ?? 'a tool'

  return {
    handle(chunk: UIMessageChunk): void {
      if (chunk.type !== 'start' && chunk.type !== 'finish') empty = false
      switch (chunk.type) {
        case 'text-start':
          if (lastTextId !== undefined && lastTextId !== chunk.id) printer.endLine()
          lastTextId = chunk.id
          break
        case 'text-delta':
          printer.write(chunk.delta)
          text += chunk.delta
          break
        case 'source-document': {
          const metadata = sourceMetadataSchema.safeParse(chunk.providerMetadata?.nereid)
          if (metadata.success) {
            sources.set(metadata.data.index, {
              title: chunk.title || chunk.filename || 'Untitled',
              page: metadata.data.page,
              url: metadata.data.url,
            })
          }
          break
        }
        case 'tool-input-available':
          toolNames.set(chunk.toolCallId, chunk.toolName)
          break
        case 'tool-output-available': {
          const output = toolOutputSchema.safeParse(chunk.output)
          const name = describeTool(chunk.toolCallId)
          if (output.success && output.data.error) printer.line(`${name} failed: ${output.data.error}`)
          else if (
            output.success &&
            output.data.status === 'executed' &&
            writeTools.has(name) &&
            output.data.summary
          )
            printer.line(`Done: ${output.data.summary}`)
          break
        }
        case 'tool-output-error':
          printer.line(`${describeTool(chunk.toolCallId)} failed: ${chunk.errorText}`)
          break
        case 'tool-approval-request':
          approvals.push({
            actionId: chunk.approvalId,
            toolCallId: chunk.toolCallId,
            summary: chunk.reason ?? describeTool(chunk.toolCallId),
          })
          break
        case 'error':
          failed = true
          printer.error(`Error: ${chunk.errorText}`)
          break
        case 'abort':
          printer.line('(stopped)')
          break
        default:
          break
      }
    },
    finish(): RenderedMessage {
      printer.endLine()
      const cited = [...sources.keys()].filter((index) => text.includes(`[${index}]`))
      const listed = (cited.length > 0 ? cited : [...sources.keys()]).sort((a, b) => a - b)
      if (listed.length > 0) {
        printer.line('')
        printer.line('Sources:')
        for (const index of listed) printer.line(citationLine({ index, ...sources.get(index)! }))
      }
      return { empty, failed, approvals }
    },
  }
}

/** Reads a UI message stream to its end through a renderer. */
async function renderStream({
  stream,
  renderer,
}: {
  stream: ReadableStream<UIMessageChunk>
  renderer: ReturnType<typeof createMessageRenderer>
}): Promise<RenderedMessage> {
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    renderer.handle(value)
  }
  return renderer.finish()
}

/** The chunks a stored assistant message would have streamed (for a message another process wrote). */
function chunksOfStoredMessage(message: MessageRecord): UIMessageChunk[] {
  const chunks: UIMessageChunk[] = []
  for (const [position, part] of message.parts.entries()) {
    if (part.type === 'text' && typeof part.text === 'string') {
      const id = `${message.id}-${position}`
      chunks.push({ type: 'text-start', id }, { type: 'text-delta', id, delta: part.text })
    } else if (part.type === 'source-document') {
      const source = sourcePartSchema.safeParse(part)
      if (source.success) chunks.push({ type: 'source-document', ...source.data })
    } else {
      const tool = toolPartSchema.safeParse(part)
      if (!tool.success) continue
      const { toolCallId, state, approval } = tool.data
      chunks.push({
        type: 'tool-input-available',
        toolCallId,
        toolName: tool.data.type.slice('tool-'.length),
        input: tool.data.input,
      })
      if (state === 'output-available')
        chunks.push({ type: 'tool-output-available', toolCallId, output: tool.data.output })
      else if (state === 'output-error')
        chunks.push({ type: 'tool-output-error', toolCallId, errorText: tool.data.errorText ?? 'failed' })
      else if (state === 'approval-requested' && approval)
        chunks.push({
          type: 'tool-approval-request',
          toolCallId,
          approvalId: approval.id,
          ...(approval.requestReason ? { reason: approval.requestReason } : {}),
        })
    }
  }
  if (message.status === 'error')
    chunks.push({ type: 'error', errorText: message.error ?? 'The answer failed.' })
  return chunks
}

/** Lines from the input, one at a time; `undefined` at the end of the input (EOF, Ctrl-D, `/exit`). */
function createLineReader({ input, onInterrupt }: { input: NodeJS.ReadableStream; onInterrupt: () => void }) {
  const terminal = Boolean((input as { isTTY?: boolean }).isTTY)
  const lines = createInterface({
    input,
    ...(terminal ? { output: process.stdout, terminal: true } : { terminal: false }),
  })
  const queued: string[] = []
  const waiting: ((line: string | undefined) => void)[] = []
  let closed = false
  lines.on('line', (line) => {
    const waiter = waiting.shift()
    if (waiter) waiter(line)
    else queued.push(line)
  })
  lines.on('close', () => {
    closed = true
    for (const waiter of waiting.splice(0)) waiter(undefined)
  })
  // Ctrl-C: stops the answer being written, or, at the prompt, ends the chat.
  lines.on('SIGINT', onInterrupt)
  return {
    terminal,
    /** The next line, after showing `prompt` (readline draws it on a terminal). */
    async next({ prompt, printer }: { prompt: string; printer: Printer }): Promise<string | undefined> {
      if (queued.length === 0 && closed) return undefined
      if (terminal) {
        printer.endLine()
        lines.setPrompt(prompt)
        lines.prompt()
      } else printer.prompt(prompt)
      const typedAhead = queued.length > 0
      const line = typedAhead
        ? queued.shift()
        : closed
          ? undefined
          : await new Promise<string | undefined>((resolve) => waiting.push(resolve))
      // A terminal echoes what is typed as it is typed; piped lines and lines typed ahead (while an
      // answer was streaming) are shown after their prompt, so the conversation reads in order.
      if (line !== undefined && (!terminal || typedAhead)) printer.echo(line)
      else if (line === undefined && !terminal) printer.endLine()
      return line
    },
    close() {
      lines.close()
    },
  }
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds))

/**
 * `nereid chat`: the terminal chat. It runs the assistant in this process, on the same chat service
 * as the HTTP API (channel `cli`), as a member of a workspace. Answers stream as they are written,
 * followed by their sources; a change that needs approval is shown with its summary and a
 * `Approve? [y/N]` prompt, and the answer goes back through the chat service as an approval
 * response, exactly as a web client's would. Lines are read until `/exit`, Ctrl-D or the end of
 * piped input; `message` makes it one-shot (approvals are then left pending, with how to decide
 * them). Returns the exit code: 1 when an answer failed in one-shot mode.
 */
export async function chatCommand(
  commandEnvironment: CommandEnvironment,
  { workspace, user, message, conversation }: ChatCommandOptions,
): Promise<{ exitCode: number }> {
  const { output, clock } = commandEnvironment
  const printer = createPrinter(output)
  const oneShot = message !== undefined
  if (oneShot && message.trim() === '') throw new AppError('bad_request', { message: '--message is empty.' })
  if (conversation !== undefined && !z.uuid().safeParse(conversation).success) {
    throw new AppError('bad_request', {
      message: `--conversation expects a conversation id, not "${conversation}".`,
    })
  }
  // The chat prints every failure it meets as a sentence; warnings in the log would only repeat them
  // in the middle of the conversation (LOG_LEVEL still shows them).
  const runtime = await openRuntime(commandEnvironment, { quietLevel: 'error' })
  try {
    const { database, config, logger } = runtime
    await ensureMigrated({ database, allowMigrate: false, output })
    const target = await resolveCommandTarget({ database, workspace, user })
    const actor: Actor & { channel: 'cli' } = {
      workspaceId: target.workspace.id,
      userId: target.member.userId,
      role: target.member.role,
      channel: 'cli',
    }
    const tenant = { workspaceId: actor.workspaceId, userId: actor.userId }
    const conversationId = conversation?.toLowerCase() ?? randomUUID()
    const existing = conversation
      ? await database.withTenant(tenant, async (transaction) => ({
          found: await findConversation(transaction, { id: conversationId, userId: actor.userId }),
          messages: await listMessages(transaction, { conversationId }),
        }))
      : undefined
    if (existing && !existing.found) {
      throw new AppError('not_found', {
        message: `${target.member.email} has no conversation ${conversationId} in "${target.workspace.name}".`,
      })
    }
    // The ingest queue is only needed to enqueue; this process neither works other processes' jobs nor
    // continues other processes' conversations (see createServices).
    const services = await createServices({ database, config, logger, clock, worker: false, listen: false })
    const session = createChatSession({
      chat: services.chat,
      database,
      actor,
      conversationId,
      printer,
      writeTools: new Set(
        services.toolService.tools.filter((tool) => tool.risk !== 'read').map((tool) => tool.name),
      ),
      continuationTimeoutMs: config.chat.stepTimeoutMs * config.chat.maxSteps,
    })
    let interrupt = () => {}
    const lines = oneShot
      ? undefined
      : createLineReader({
          input: commandEnvironment.input ?? process.stdin,
          onInterrupt: () => interrupt(),
        })
    interrupt = () => {
      if (!session.stop()) lines?.close()
    }
    try {
      const stored = existing?.messages ?? []
      if (!oneShot) {
        printer.line(
          `Nereid chat: ${target.workspace.name} as ${target.member.email} (${target.member.role}), ${
            services.chat.chatModel
              ? `model ${services.chat.chatModel.modelId}`
              : 'search mode: no language model is configured, answers quote the knowledge base'
          }.`,
        )
        printer.line(
          existing
            ? `Continuing conversation ${conversationId} (${stored.length} messages). /exit or Ctrl-D to quit.`
            : `Conversation ${conversationId}. /exit or Ctrl-D to quit.`,
        )
      }
      // A continued conversation may still wait for decisions on its last answer.
      const lastAssistant = stored.filter((entry) => entry.role === 'assistant').at(-1)
      const waiting = lastAssistant
        ? chunksOfStoredMessage(lastAssistant).flatMap((chunk) =>
            chunk.type === 'tool-approval-request'
              ? [
                  {
                    actionId: chunk.approvalId,
                    toolCallId: chunk.toolCallId,
                    summary: chunk.reason ?? 'a change',
                  },
                ]
              : [],
          )
        : []
      if (oneShot) {
        if (waiting.length > 0) session.printPendingHint(waiting)
        const answered = await session.send({ role: 'user', parts: [{ type: 'text', text: message }] })
        if (answered.approvals.length > 0) session.printPendingHint(answered.approvals)
        printer.line('')
        printer.line(
          `Conversation ${conversationId} (continue with: nereid chat --conversation ${conversationId})`,
        )
        return { exitCode: answered.failed ? 1 : 0 }
      }
      const reader = lines!
      if (waiting.length > 0 && !(await session.decide({ approvals: waiting, lines: reader }))) {
        return { exitCode: 0 }
      }
      for (;;) {
        const line = await reader.next({ prompt: 'you> ', printer })
        if (line === undefined || line.trim() === '/exit') break
        if (line.trim() === '') continue
        const answered = await session.sendSafely({ role: 'user', parts: [{ type: 'text', text: line }] })
        if (answered && !(await session.decide({ approvals: answered.approvals, lines: reader }))) break
      }
      return { exitCode: 0 }
    } finally {
      lines?.close()
      await services.close()
    }
  } finally {
    await runtime.close()
  }
}

/** One member's conversation over the chat service: sending, rendering and deciding approvals. */
function createChatSession({
  chat,
  database,
  actor,
  conversationId,
  printer,
  writeTools,
  continuationTimeoutMs,
}: {
  chat: ChatService
  database: Database
  actor: Actor & { channel: 'cli' }
  conversationId: string
  printer: Printer
  writeTools: ReadonlySet<string>
  continuationTimeoutMs: number
}) {
  const tenant = { workspaceId: actor.workspaceId, userId: actor.userId }
  let running: AbortController | undefined

  const loadMessages = () =>
    database.withTenant(tenant, (transaction) => listMessages(transaction, { conversationId }))

  /**
   * Streams one turn (a user message or approval responses) and prints it; `beforeAnswer` runs once
   * the turn is accepted, before the answer streams.
   */
  async function send(message: unknown, beforeAnswer?: () => Promise<void>): Promise<RenderedMessage> {
    const abort = new AbortController()
    running = abort
    try {
      const { stream } = await chat.streamTurn({
        actor,
        chatId: conversationId,
        message,
        abortSignal: abort.signal,
      })
      await beforeAnswer?.()
      return await renderStream({ stream, renderer: createMessageRenderer({ printer, writeTools }) })
    } finally {
      running = undefined
    }
  }

  /** `send`, with refusals (a bad message, a forbidden decision) printed instead of ending the chat. */
  async function sendSafely(
    message: unknown,
    beforeAnswer?: () => Promise<void>,
  ): Promise<RenderedMessage | undefined> {
    try {
      return await send(message, beforeAnswer)
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error
      printer.error(`Error: ${error.message}`)
      return undefined
    }
  }

  /**
   * The assistant message carrying the approvals, with the member's decisions: the stored message
   * with its tool parts turned to `approval-responded`, which is what `useChat` sends after
   * `addToolApprovalResponse`.
   */
  async function approvalResponse(
    decisions: { approval: PendingApproval; approved: boolean }[],
  ): Promise<{ message: unknown; position: number | undefined }> {
    const byToolCall = new Map(decisions.map((decision) => [decision.approval.toolCallId, decision]))
    const carrier = (await loadMessages())
      .filter((entry) => entry.role === 'assistant')
      .findLast((entry) =>
        entry.parts.some((part) => byToolCall.has(String((part as { toolCallId?: unknown }).toolCallId))),
      )
    const respond = (part: Record<string, unknown>) => {
      const decision = byToolCall.get(String(part.toolCallId))
      if (!decision) return part
      const approval = typeof part.approval === 'object' && part.approval !== null ? part.approval : {}
      return {
        ...part,
        state: 'approval-responded',
        approval: { ...approval, id: decision.approval.actionId, approved: decision.approved },
      }
    }
    const parts = carrier
      ? carrier.parts.map(respond)
      : decisions.map(({ approval }) =>
          respond({ type: 'tool-unknown', toolCallId: approval.toolCallId, state: 'approval-requested' }),
        )
    return {
      message: { ...(carrier ? { id: carrier.id } : {}), role: 'assistant', parts },
      position: carrier?.position,
    }
  }

  /**
   * When the decision's continuation is written elsewhere (another process, or this process's
   * listener, heard of the decision first), waits for that message and prints it from storage.
   */
  async function awaitContinuation({
    position,
    toolCallIds,
  }: {
    position: number
    toolCallIds: Set<string>
  }): Promise<RenderedMessage> {
    const deadline = Date.now() + continuationTimeoutMs
    let announced = false
    const abort = new AbortController()
    running = abort
    try {
      while (Date.now() < deadline && !abort.signal.aborted) {
        const messages = await loadMessages()
        const next = messages.find((entry) => entry.position > position && entry.role === 'assistant')
        if (next) {
          const renderer = createMessageRenderer({ printer, writeTools })
          for (const chunk of chunksOfStoredMessage(next)) renderer.handle(chunk)
          return renderer.finish()
        }
        const carrier = messages.find((entry) => entry.position === position)
        const stillWaiting = (carrier?.parts ?? []).some((part) => {
          const tool = toolPartSchema.safeParse(part)
          return (
            tool.success && tool.data.state === 'approval-requested' && !toolCallIds.has(tool.data.toolCallId)
          )
        })
        if (stillWaiting) {
          printer.line(
            'Other changes in that answer still wait for a decision; it continues once they are decided.',
          )
          return { empty: true, failed: false, approvals: [] }
        }
        if (!announced) {
          printer.line('(waiting for the answer…)')
          announced = true
        }
        await sleep(200)
      }
    } finally {
      running = undefined
    }
    printer.line('No answer yet; it will be in the conversation when it is written.')
    return { empty: true, failed: false, approvals: [] }
  }

  /**
   * What became of the decided calls, from the stored message: the decision is settled there before
   * the chat service streams the continuation.
   */
  async function printOutcomes({
    position,
    toolCallIds,
  }: {
    position: number | undefined
    toolCallIds: Set<string>
  }): Promise<void> {
    if (position === undefined) return
    const carrier = (await loadMessages()).find((entry) => entry.position === position)
    for (const part of carrier?.parts ?? []) {
      const tool = toolPartSchema.safeParse(part)
      if (!tool.success || !toolCallIds.has(tool.data.toolCallId)) continue
      const summary = tool.data.approval?.requestReason ?? tool.data.type.slice('tool-'.length)
      if (tool.data.state === 'output-available') printer.line(`Done: ${summary}.`)
      else if (tool.data.state === 'output-error')
        printer.line(`Failed: ${summary}: ${tool.data.errorText ?? 'error'}`)
      else if (tool.data.state === 'output-denied') printer.line(`Not done: ${summary}.`)
    }
  }

  /** Where to decide approvals later, when the chat ends before they are decided. */
  function printPendingHint(approvals: PendingApproval[]): void {
    printer.line('')
    printer.line(
      `${approvals.length === 1 ? 'A change waits' : `${approvals.length} changes wait`} for approval:`,
    )
    for (const approval of approvals) printer.line(`  ${approval.summary} (action ${approval.actionId})`)
    printer.line(
      'Decide later with POST /v1/actions/:id/approve or POST /v1/actions/:id/reject, from Slack or the widget, or here with nereid chat --conversation.',
    )
  }

  /**
   * Asks about each approval (`Approve? [y/N]`, anything but y/yes rejects), sends the decisions and
   * prints the continuation, again for any approvals it asks for. False when the input ended first
   * (the approvals are left pending).
   */
  async function decide({
    approvals,
    lines,
  }: {
    approvals: PendingApproval[]
    lines: ReturnType<typeof createLineReader>
  }): Promise<boolean> {
    let current = approvals
    while (current.length > 0) {
      const decisions: { approval: PendingApproval; approved: boolean }[] = []
      for (const approval of current) {
        printer.line(`Approval needed: ${approval.summary}`)
        const answer = await lines.next({ prompt: 'Approve? [y/N] ', printer })
        if (answer === undefined) {
          printPendingHint(current)
          return false
        }
        decisions.push({ approval, approved: /^\s*y(es)?\s*$/i.test(answer) })
      }
      const { message, position } = await approvalResponse(decisions)
      const toolCallIds = new Set(decisions.map(({ approval }) => approval.toolCallId))
      const rendered = await sendSafely(message, () => printOutcomes({ position, toolCallIds }))
      if (!rendered) return true
      current =
        rendered.empty && position !== undefined
          ? (await awaitContinuation({ position, toolCallIds })).approvals
          : rendered.approvals
    }
    return true
  }

  return {
    send,
    sendSafely,
    decide,
    printPendingHint,
    /** Stops the answer being written (or the wait for it); false when there is none. */
    stop(): boolean {
      if (!running) return false
      running.abort()
      return true
    },
  }
}
