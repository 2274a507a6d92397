import { z } from 'zod'

/**
 * The widget's WebSocket protocol (`/v1/ws`), JSON text frames validated both ways.
 *
 * Client -> server:
 *   - `chat`      { id?, chatId, text }                 one user message; the answer streams back
 *   - `approve`   { id?, actionId }                     approve a pending action (as the member)
 *   - `reject`    { id?, actionId, reason? }            reject it
 *   - `subscribe` { id?, chatId? }                      resend the state of a conversation (after a
 *                                                       reconnect) and follow it; no chatId: the list.
 *                                                       Replies in this order: `conversation`, the
 *                                                       chunks so far of an answer still streaming
 *                                                       (from its `start`), then live chunks and `ack`
 *   - `ping`      { id? }                               application heartbeat; answered with `pong`
 *
 * Server -> client:
 *   - `ready`        { userId, workspaceId, name }                the connection is authenticated
 *   - `chunk`        { chatId, conversationId, chunk }            one AI SDK UI message chunk of a turn
 *   - `conversation` { chatId, conversationId, messages }         stored state (reply to `subscribe`)
 *   - `conversations`{ conversations }                            the member's conversations
 *   - `message`      { conversationId, messageId }                a message was stored elsewhere
 *                                                                 (e.g. the continuation after an
 *                                                                 approval from Slack or the API)
 *   - `action`       { actionId, status, tool?, summary? }        a pending action changed, any channel
 *   - `notification` { notification }                            an insight or other notice
 *   - `ack`          { id }                                       a request with an id was accepted
 *   - `error`        { id?, code, message }                       a request failed (the socket stays)
 *   - `pong`         { id? }
 *
 * Every client message may carry `id` (a string chosen by the client); replies to it echo it.
 */
export const maxClientMessageBytes = 64 * 1024
const maxText = 20_000

const requestId = z.string().min(1).max(100).optional()
const chatId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.:-]+$/, 'a chat id is letters, digits, and . _ : -')

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('chat'),
    id: requestId,
    chatId,
    text: z.string().trim().min(1, 'the message has no text').max(maxText),
  }),
  z.strictObject({ type: z.literal('approve'), id: requestId, actionId: z.uuid() }),
  z.strictObject({
    type: z.literal('reject'),
    id: requestId,
    actionId: z.uuid(),
    reason: z.string().trim().max(1000).optional(),
  }),
  z.strictObject({ type: z.literal('subscribe'), id: requestId, chatId: chatId.optional() }),
  z.strictObject({ type: z.literal('ping'), id: requestId }),
])
export type ClientMessage = z.infer<typeof clientMessageSchema>

const actionStatus = z.enum([
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

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), userId: z.string(), workspaceId: z.string(), name: z.string() }),
  z.object({
    type: z.literal('chunk'),
    chatId: z.string(),
    conversationId: z.string(),
    chunk: z.looseObject({ type: z.string() }),
  }),
  z.object({
    type: z.literal('conversation'),
    chatId: z.string(),
    conversationId: z.string(),
    messages: z.array(
      z.looseObject({ id: z.string(), role: z.enum(['user', 'assistant']), parts: z.array(z.unknown()) }),
    ),
  }),
  z.object({
    type: z.literal('conversations'),
    conversations: z.array(z.looseObject({ id: z.string(), title: z.string() })),
  }),
  z.object({ type: z.literal('message'), conversationId: z.string(), messageId: z.string() }),
  z.object({
    type: z.literal('action'),
    actionId: z.string(),
    status: actionStatus,
    tool: z.string().optional(),
    summary: z.string().optional(),
  }),
  z.object({ type: z.literal('notification'), notification: z.looseObject({ id: z.string() }) }),
  z.object({ type: z.literal('ack'), id: z.string() }),
  z.object({ type: z.literal('error'), id: z.string().optional(), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong'), id: z.string().optional() }),
])
export type ServerMessage = z.infer<typeof serverMessageSchema>

/** Parses one client frame; a clear reason instead of an exception for anything malformed. */
export function parseClientMessage(
  data: string,
): { ok: true; message: ClientMessage } | { ok: false; id?: string; message: string } {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return { ok: false, message: 'Messages must be JSON.' }
  }
  const parsed = clientMessageSchema.safeParse(value)
  if (parsed.success) return { ok: true, message: parsed.data }
  const id = (value as { id?: unknown } | null)?.id
  const issue = parsed.error.issues[0]
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
  return {
    ok: false,
    ...(typeof id === 'string' && id.length <= 100 ? { id } : {}),
    message: `Invalid message: ${where}${issue?.message ?? 'unknown problem'}`,
  }
}
