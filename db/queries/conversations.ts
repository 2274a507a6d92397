import type { TenantTransaction } from '../database.ts'
import type { ChatChannel, MessageRole, MessageStatus } from '../vocabulary.ts'
import { selectRows } from './select-rows.ts'

export interface ConversationRecord {
  id: string
  userId: string
  channel: ChatChannel
  title: string
  summary: string | null
  summarizedThrough: number
  createdAt: Date
  lastMessageAt: Date
}

export interface MessageRecord {
  id: string
  conversationId: string
  position: number
  role: MessageRole
  /** AI SDK UI message parts. */
  parts: Record<string, unknown>[]
  status: MessageStatus
  error: string | null
  usage: { inputTokens?: number; outputTokens?: number } | null
  model: string | null
  authorId: string | null
  createdAt: Date
}

const conversationColumns = `id, user_id AS "userId", channel, title, summary, summarized_through AS "summarizedThrough",
  created_at AS "createdAt", last_message_at AS "lastMessageAt"`
const messageColumns = `id, conversation_id AS "conversationId", position, role, parts, status, error, usage, model,
  author_id AS "authorId", created_at AS "createdAt"`

/**
 * Starts a conversation with `id` unless that id is taken, by anyone (another member, another
 * workspace whose rows row-level security hides, or a concurrent create): then undefined, in one
 * statement, with nothing written.
 */
export async function createConversation(
  tenant: TenantTransaction,
  {
    id,
    userId,
    channel,
    title,
  }: { id?: string | undefined; userId: string; channel: ChatChannel; title: string },
): Promise<ConversationRecord | undefined> {
  const [row] = await selectRows<ConversationRecord>(
    tenant,
    `INSERT INTO conversations (id, workspace_id, user_id, channel, title)
     VALUES (coalesce(CAST(:id AS uuid), gen_random_uuid()), CAST(:workspaceId AS uuid), :userId, :channel, :title)
     ON CONFLICT (id) DO NOTHING
     RETURNING ${conversationColumns}`,
    { id: id ?? null, workspaceId: tenant.workspaceId, userId, channel, title: title.slice(0, 200) },
  )
  return row
}

/**
 * One of the member's conversations, or undefined. Why the member filter: conversations are
 * private to the member who had them, even from admins of the same workspace (RLS already limits
 * the workspace).
 */
export async function findConversation(
  tenant: TenantTransaction,
  { id, userId, lock = false }: { id: string; userId: string; lock?: boolean },
): Promise<ConversationRecord | undefined> {
  const [row] = await selectRows<ConversationRecord>(
    tenant,
    `SELECT ${conversationColumns} FROM conversations WHERE id = :id AND user_id = :userId${lock ? ' FOR UPDATE' : ''}`,
    { id, userId },
  )
  return row
}

/** The member's conversations, most recent first. */
export async function listConversations(
  tenant: TenantTransaction,
  { userId, limit, offset }: { userId: string; limit: number; offset: number },
): Promise<{ conversations: ConversationRecord[]; total: number }> {
  const rows = await selectRows<ConversationRecord & { total: number }>(
    tenant,
    `SELECT ${conversationColumns}, count(*) OVER ()::int AS total FROM conversations
      WHERE user_id = :userId ORDER BY last_message_at DESC, id LIMIT :limit OFFSET :offset`,
    { userId, limit, offset },
  )
  return {
    conversations: rows.map(({ total: _total, ...conversation }) => conversation),
    total: rows[0]?.total ?? 0,
  }
}

/** Messages of a conversation in order, from `fromPosition` on; with `newest`, only the last ones. */
export async function listMessages(
  tenant: TenantTransaction,
  {
    conversationId,
    fromPosition = 0,
    newest,
  }: { conversationId: string; fromPosition?: number; newest?: number },
): Promise<MessageRecord[]> {
  if (newest === undefined) {
    return selectRows<MessageRecord>(
      tenant,
      `SELECT ${messageColumns} FROM messages WHERE conversation_id = :conversationId AND position >= :fromPosition
        ORDER BY position`,
      { conversationId, fromPosition },
    )
  }
  const rows = await selectRows<MessageRecord>(
    tenant,
    `SELECT ${messageColumns} FROM messages WHERE conversation_id = :conversationId AND position >= :fromPosition
      ORDER BY position DESC LIMIT :newest`,
    { conversationId, fromPosition, newest },
  )
  return rows.reverse()
}

/** Appends a message at the end of the conversation (callers hold the conversation row lock). */
export async function appendMessage(
  tenant: TenantTransaction,
  {
    id,
    conversationId,
    role,
    parts,
    status = 'complete',
    error,
    usage,
    model,
    authorId,
  }: {
    id?: string | undefined
    conversationId: string
    role: MessageRole
    parts: unknown[]
    status?: MessageStatus
    error?: string | undefined
    usage?: MessageRecord['usage'] | undefined
    model?: string | undefined
    authorId?: string | undefined
  },
): Promise<MessageRecord> {
  // One statement: the message and the conversation's last_message_at (a data-modifying CTE runs
  // whether or not the outer query reads it).
  const [row] = await selectRows<MessageRecord>(
    tenant,
    `WITH touched AS (UPDATE conversations SET last_message_at = now() WHERE id = :conversationId RETURNING id)
     INSERT INTO messages (id, workspace_id, conversation_id, position, role, parts, status, error, usage, model, author_id)
     VALUES (coalesce(CAST(:id AS uuid), gen_random_uuid()), CAST(:workspaceId AS uuid), :conversationId,
             (SELECT coalesce(max(position) + 1, 0) FROM messages WHERE conversation_id = :conversationId),
             :role, CAST(:parts AS jsonb), :status, :error, CAST(:usage AS jsonb), :model, :authorId)
     RETURNING ${messageColumns}`,
    {
      id: id ?? null,
      workspaceId: tenant.workspaceId,
      conversationId,
      role,
      parts: JSON.stringify(parts),
      status,
      error: error ?? null,
      usage: usage ? JSON.stringify(usage) : null,
      model: model ?? null,
      authorId: authorId ?? null,
    },
  )
  return row!
}

/** Replaces a message's parts (a tool call decided later, or a turn that ended). */
export async function updateMessageParts(
  tenant: TenantTransaction,
  { id, parts }: { id: string; parts: unknown[] },
): Promise<void> {
  await selectRows(tenant, 'UPDATE messages SET parts = CAST(:parts AS jsonb) WHERE id = :id RETURNING id', {
    id,
    parts: JSON.stringify(parts),
  })
}

/**
 * The assistant message holding a tool call, locked for update: the decision path rewrites the
 * call's part exactly once (the lock serializes processes that learned of the same decision).
 */
export async function findMessageByToolCall(
  tenant: TenantTransaction,
  { conversationId, toolCallId }: { conversationId: string; toolCallId: string },
): Promise<MessageRecord | undefined> {
  const [row] = await selectRows<MessageRecord>(
    tenant,
    `SELECT ${messageColumns} FROM messages
      WHERE conversation_id = :conversationId AND role = 'assistant'
        AND parts @> CAST(:probe AS jsonb)
      ORDER BY position DESC LIMIT 1 FOR UPDATE`,
    { conversationId, probe: JSON.stringify([{ toolCallId }]) },
  )
  return row
}

/** Stores the running summary of the messages before `through`. */
export async function setConversationSummary(
  tenant: TenantTransaction,
  {
    id,
    summary,
    through,
    previousThrough,
  }: { id: string; summary: string; through: number; previousThrough: number },
): Promise<boolean> {
  // Only over the summary it was built on: two processes summarizing at once cannot go backwards.
  const rows = await selectRows(
    tenant,
    `UPDATE conversations SET summary = :summary, summarized_through = :through
      WHERE id = :id AND summarized_through = :previousThrough RETURNING id`,
    { id, summary, through, previousThrough },
  )
  return rows.length === 1
}
