import {
  chatChannels,
  type MigrationContext,
  memberReferenceSql,
  messageRoles,
  messageStatuses,
  oneOfSql,
  pendingActionStatuses,
  tenantColumnsSql,
  tenantTableSql,
} from '../db/index.ts'

/**
 * Conversations with the assistant and their messages.
 *
 * A message keeps the AI SDK UI message parts as jsonb (text, tool calls with their state and
 * approval, source citations), so what a client rendered can be rendered again and turned back
 * into model messages. Long conversations keep a running `summary` of the messages before
 * `summarized_through` (a position), so the model sees the summary plus a bounded window.
 *
 * A pending action started by the assistant remembers the tool call (`tool_call_id`) and its
 * conversation, so a decision taken later, from any channel, can continue that conversation.
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE TABLE conversations (
      ${tenantColumnsSql},
      user_id uuid NOT NULL,
      channel text NOT NULL ${oneOfSql('channel', chatChannels)},
      title text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
      summary text,
      summarized_through integer NOT NULL DEFAULT 0 CHECK (summarized_through >= 0),
      last_message_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, user_id) REFERENCES workspace_members (workspace_id, user_id) ON DELETE CASCADE
    );
    CREATE INDEX conversations_member_idx ON conversations (workspace_id, user_id, last_message_at DESC);
    ${tenantTableSql({ table: 'conversations' })}

    CREATE TABLE messages (
      ${tenantColumnsSql},
      conversation_id uuid NOT NULL,
      position integer NOT NULL CHECK (position >= 0),
      role text NOT NULL ${oneOfSql('role', messageRoles)},
      parts jsonb NOT NULL CHECK (jsonb_typeof(parts) = 'array'),
      status text NOT NULL DEFAULT 'complete' ${oneOfSql('status', messageStatuses)},
      error text,
      -- Token usage of the turn that produced an assistant message: { inputTokens, outputTokens }.
      usage jsonb,
      model text,
      author_id uuid,
      UNIQUE (workspace_id, conversation_id, position),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
      ${memberReferenceSql('author_id')}
    );
    ${tenantTableSql({ table: 'messages' })}

    ALTER TABLE pending_actions DROP CONSTRAINT pending_actions_status_check;
    ALTER TABLE pending_actions ADD CONSTRAINT pending_actions_status_check ${oneOfSql('status', pendingActionStatuses)};
    ALTER TABLE pending_actions ADD COLUMN tool_call_id text CHECK (length(tool_call_id) <= 200);
    ALTER TABLE pending_actions ADD CONSTRAINT pending_actions_conversation_fk
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE SET NULL (conversation_id);
    CREATE UNIQUE INDEX pending_actions_tool_call_idx ON pending_actions (workspace_id, conversation_id, tool_call_id)
      WHERE tool_call_id IS NOT NULL;
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP INDEX IF EXISTS pending_actions_tool_call_idx;
    ALTER TABLE pending_actions DROP CONSTRAINT IF EXISTS pending_actions_conversation_fk;
    ALTER TABLE pending_actions DROP COLUMN IF EXISTS tool_call_id;
    UPDATE pending_actions SET status = 'expired' WHERE status = 'cancelled';
    ALTER TABLE pending_actions DROP CONSTRAINT pending_actions_status_check;
    ALTER TABLE pending_actions ADD CONSTRAINT pending_actions_status_check
      ${oneOfSql(
        'status',
        pendingActionStatuses.filter((status) => status !== 'cancelled'),
      )};
    DROP TABLE IF EXISTS messages;
    DROP TABLE IF EXISTS conversations;
  `)
}
