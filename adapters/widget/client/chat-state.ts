/**
 * The widget's model of a conversation, without any DOM: stored messages (AI SDK UI message parts)
 * and live AI SDK UI message chunks fold into the same shape, so a reloaded conversation and a
 * streamed one render alike.
 */

export type ActionStatus =
  | 'pending'
  | 'approved'
  | 'executing'
  | 'executed'
  | 'rejected'
  | 'failed'
  | 'expired'
  | 'cancelled'
  | 'undone'

const actionStatuses = new Set<string>([
  'pending',
  'approved',
  'executing',
  'executed',
  'rejected',
  'failed',
  'expired',
  'cancelled',
  'undone',
])

export const isActionStatus = (value: unknown): value is ActionStatus =>
  typeof value === 'string' && actionStatuses.has(value)

/** How far along an action is; a later report never moves a card back (e.g. a stale reload). */
const statusRank: Record<ActionStatus, number> = {
  pending: 0,
  approved: 1,
  executing: 2,
  executed: 3,
  rejected: 3,
  failed: 3,
  expired: 3,
  cancelled: 3,
  undone: 4,
}

/** The further along of two statuses (the first one when they are equally far). */
export function furtherStatus(a: ActionStatus, b: ActionStatus | undefined): ActionStatus {
  return b !== undefined && statusRank[b] > statusRank[a] ? b : a
}

/** A numbered source of an answer, the target of a `[n]` citation chip. */
export interface Source {
  index: number
  title: string
  page: number | null
  documentId?: string
  chunkId?: string
  url?: string
  /** The retrieved passage, when the message carries the search result. Untrusted text. */
  snippet?: string
}

export interface TextPart {
  kind: 'text'
  key: string
  text: string
}

/** A tool call: a write waiting for approval or done (shown as a card), or a read (one muted line). */
export interface ToolPart {
  kind: 'tool'
  key: string
  toolCallId: string
  toolName: string
  input?: unknown
  /** `running` while the call is in flight, `done` for a finished read; otherwise the action's status. */
  status: ActionStatus | 'running' | 'done'
  /** True for changes (approval requested or an action output): rendered as a card. */
  isAction: boolean
  /** The pending action's id, when the call waited for approval. */
  approvalId?: string
  /** The id to undo with (the pending action's id or the action history id). */
  actionId?: string
  summary?: string
  result?: unknown
  errorText?: string
  /** Why it did not run (rejected, expired, not allowed). */
  reason?: string
}

export interface ErrorPart {
  kind: 'error'
  key: string
  text: string
}

export type MessagePart = TextPart | ToolPart | ErrorPart

export interface ChatMessage {
  id: string
  role: 'user' | 'assistant'
  parts: MessagePart[]
  sources: Source[]
  /** `sending`: a user message not yet confirmed; `streaming`: an answer still arriving. */
  status: 'sending' | 'streaming' | 'complete' | 'error'
  /** Bumped on every change, so the view re-renders only what changed. */
  version: number
}

type Loose = Record<string, unknown>

const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

/** A user message typed in this tab. */
export function userMessage({ id, text }: { id: string; text: string }): ChatMessage {
  return {
    id,
    role: 'user',
    parts: [{ kind: 'text', key: 't0', text }],
    sources: [],
    status: 'sending',
    version: 0,
  }
}

/** An empty assistant message that chunks will fill. */
export function assistantMessage(id: string): ChatMessage {
  return { id, role: 'assistant', parts: [], sources: [], status: 'streaming', version: 0 }
}

/** A stored message (AI SDK UI message form, as `conversation` messages carry them). */
export function fromStoredMessage(stored: Loose): ChatMessage {
  const role = stored.role === 'user' ? 'user' : 'assistant'
  const message: ChatMessage = {
    id: stringOf(stored.id) ?? `m-${Math.random().toString(36).slice(2)}`,
    role,
    parts: [],
    sources: [],
    status: stored.status === 'error' ? 'error' : stored.status === 'streaming' ? 'streaming' : 'complete',
    version: 0,
  }
  const parts = Array.isArray(stored.parts) ? stored.parts : []
  parts.forEach((part, position) => {
    if (!isObject(part)) return
    const type = stringOf(part.type) ?? ''
    if (type === 'text') {
      const text = stringOf(part.text) ?? ''
      if (text) message.parts.push({ kind: 'text', key: `t${position}`, text })
    } else if (type === 'source-document' || type === 'source-url') {
      addSource(message, part)
    } else if (type === 'dynamic-tool' || type.startsWith('tool-')) {
      message.parts.push(toolPartFromStored(part, type))
    }
  })
  if (message.status === 'error') {
    const error =
      stringOf(stored.error) ?? (isObject(stored.error) ? stringOf(stored.error.message) : undefined)
    message.parts.push({ kind: 'error', key: 'error', text: error ?? 'The answer could not be completed.' })
  }
  attachSnippets(message)
  return message
}

function toolPartFromStored(part: Loose, type: string): ToolPart {
  const toolCallId = stringOf(part.toolCallId) ?? `call-${Math.random().toString(36).slice(2)}`
  const approval = isObject(part.approval) ? part.approval : undefined
  const tool: ToolPart = {
    kind: 'tool',
    key: toolCallId,
    toolCallId,
    toolName: type === 'dynamic-tool' ? (stringOf(part.toolName) ?? 'tool') : type.slice('tool-'.length),
    input: part.input,
    status: 'running',
    isAction: approval !== undefined,
  }
  if (approval) {
    const id = stringOf(approval.id)
    if (id) tool.approvalId = id
    const summary = stringOf(approval.requestReason)
    if (summary) tool.summary = summary
  }
  switch (part.state) {
    case 'approval-requested':
      tool.status = 'pending'
      break
    case 'approval-responded':
      tool.status = approval?.approved === false ? 'rejected' : 'approved'
      break
    case 'output-available':
      applyOutput(tool, part.output)
      break
    case 'output-error':
      tool.status = 'failed'
      tool.errorText = stringOf(part.errorText) ?? 'The change failed; nothing was changed.'
      break
    case 'output-denied': {
      const reason = stringOf(approval?.reason)
      tool.status = deniedStatus(reason)
      tool.isAction = true
      if (reason) tool.reason = reason
      break
    }
  }
  return tool
}

const deniedStatus = (reason: string | undefined): ActionStatus =>
  reason && /expired/i.test(reason) ? 'expired' : reason && /cancel/i.test(reason) ? 'cancelled' : 'rejected'

/** A tool's output: an action's outcome (`{ status, actionId, summary, result }`) or a read's data. */
function applyOutput(tool: ToolPart, output: unknown): void {
  tool.result = output
  if (isObject(output) && isActionStatus(output.status) && typeof output.actionId === 'string') {
    tool.isAction = true
    tool.status = output.status
    // Undo takes the pending action's id as well as the history entry's.
    tool.actionId = output.actionId
    const summary = stringOf(output.summary)
    if (summary) tool.summary = summary
    tool.result = output.result
    return
  }
  if (isObject(output) && typeof output.error === 'string') {
    tool.status = 'failed'
    tool.errorText = output.error
    return
  }
  tool.status = 'done'
}

function addSource(message: ChatMessage, part: Loose): void {
  const metadata = isObject(part.providerMetadata) ? part.providerMetadata : {}
  const nereid = isObject(metadata.nereid) ? metadata.nereid : {}
  const index = typeof nereid.index === 'number' ? nereid.index : message.sources.length + 1
  if (message.sources.some((source) => source.index === index)) return
  const source: Source = {
    index,
    title: stringOf(part.title) ?? stringOf(part.filename) ?? stringOf(part.url) ?? `Source ${index}`,
    page: typeof nereid.page === 'number' ? nereid.page : null,
  }
  const documentId = stringOf(nereid.documentId)
  if (documentId) source.documentId = documentId
  const chunkId = stringOf(nereid.chunkId) ?? stringOf(part.sourceId)
  if (chunkId) source.chunkId = chunkId
  const url = stringOf(nereid.url) ?? stringOf(part.url)
  if (url) source.url = url
  message.sources.push(source)
  message.sources.sort((a, b) => a.index - b.index)
}

/** Snippets for sources, from the message's own `search_knowledge` results (`passages[{ ref, text }]`). */
function attachSnippets(message: ChatMessage): void {
  for (const part of message.parts) {
    if (part.kind !== 'tool' || !isObject(part.result) || !Array.isArray(part.result.passages)) continue
    for (const passage of part.result.passages) {
      if (!isObject(passage) || typeof passage.ref !== 'number' || typeof passage.text !== 'string') continue
      const source = message.sources.find((candidate) => candidate.index === passage.ref)
      if (source && !source.snippet) source.snippet = snippetOf(passage.text)
    }
  }
}

const snippetOf = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 220 ? `${flat.slice(0, 219)}…` : flat
}

const findTool = (message: ChatMessage, toolCallId: unknown): ToolPart | undefined =>
  message.parts.find((part): part is ToolPart => part.kind === 'tool' && part.toolCallId === toolCallId)

/**
 * Folds one AI SDK UI message chunk into the assistant message it belongs to. Returns true when the
 * message changed. Unknown chunk types are ignored (the stream protocol grows).
 */
export function applyChunk(message: ChatMessage, chunk: Loose): boolean {
  const type = stringOf(chunk.type) ?? ''
  const changed = applyChunkType(message, type, chunk)
  if (changed) message.version += 1
  return changed
}

function applyChunkType(message: ChatMessage, type: string, chunk: Loose): boolean {
  switch (type) {
    case 'start':
      message.status = 'streaming'
      return true
    case 'text-start': {
      const key = stringOf(chunk.id) ?? `t${message.parts.length}`
      if (!message.parts.some((part) => part.kind === 'text' && part.key === key))
        message.parts.push({ kind: 'text', key, text: '' })
      return true
    }
    case 'text-delta': {
      const key = stringOf(chunk.id) ?? ''
      const delta = stringOf(chunk.delta) ?? ''
      let part = message.parts.find(
        (candidate): candidate is TextPart => candidate.kind === 'text' && candidate.key === key,
      )
      if (!part) {
        // A delta whose start we missed (e.g. joined mid-answer after a reconnect).
        part = { kind: 'text', key, text: '' }
        message.parts.push(part)
      }
      part.text += delta
      return delta.length > 0
    }
    case 'source-document':
    case 'source-url':
      addSource(message, chunk)
      attachSnippets(message)
      return true
    case 'tool-input-start':
    case 'tool-input-available': {
      const existing = findTool(message, chunk.toolCallId)
      if (existing) {
        if (chunk.input !== undefined) existing.input = chunk.input
        return true
      }
      const toolCallId = stringOf(chunk.toolCallId) ?? `call-${message.parts.length}`
      message.parts.push({
        kind: 'tool',
        key: toolCallId,
        toolCallId,
        toolName: stringOf(chunk.toolName) ?? 'tool',
        input: chunk.input,
        status: 'running',
        isAction: false,
      })
      return true
    }
    case 'tool-approval-request': {
      const tool = ensureTool(message, chunk)
      tool.isAction = true
      tool.status = 'pending'
      const approvalId = stringOf(chunk.approvalId)
      if (approvalId) tool.approvalId = approvalId
      const reason = stringOf(chunk.reason)
      if (reason) tool.summary = reason
      return true
    }
    case 'tool-output-available': {
      const tool = ensureTool(message, chunk)
      applyOutput(tool, chunk.output)
      attachSnippets(message)
      return true
    }
    case 'tool-output-error':
    case 'tool-input-error': {
      const tool = ensureTool(message, chunk)
      tool.status = 'failed'
      tool.errorText = stringOf(chunk.errorText) ?? 'The tool failed.'
      return true
    }
    case 'tool-output-denied': {
      const tool = ensureTool(message, chunk)
      tool.isAction = true
      const reason = stringOf(chunk.reason)
      tool.status = deniedStatus(reason)
      if (reason) tool.reason = reason
      return true
    }
    case 'error':
      message.status = 'error'
      message.parts.push({
        kind: 'error',
        key: `e${message.parts.length}`,
        text: stringOf(chunk.errorText) ?? 'Something went wrong.',
      })
      return true
    case 'abort':
      message.status = message.parts.length === 0 ? 'error' : 'complete'
      if (message.parts.length === 0)
        message.parts.push({ kind: 'error', key: 'abort', text: 'The answer was stopped.' })
      return true
    case 'finish':
      if (message.status === 'streaming') message.status = 'complete'
      return true
    default:
      return false
  }
}

function ensureTool(message: ChatMessage, chunk: Loose): ToolPart {
  const existing = findTool(message, chunk.toolCallId)
  if (existing) return existing
  const toolCallId = stringOf(chunk.toolCallId) ?? `call-${message.parts.length}`
  const tool: ToolPart = {
    kind: 'tool',
    key: toolCallId,
    toolCallId,
    toolName: stringOf(chunk.toolName) ?? 'tool',
    status: 'running',
    isAction: false,
  }
  message.parts.push(tool)
  return tool
}

/** True for the chunks after which a turn streams nothing more (an `error` may still be followed by `finish`). */
export const isTerminalChunk = (chunk: Loose): boolean =>
  chunk.type === 'finish' || chunk.type === 'abort' || chunk.type === 'error'
