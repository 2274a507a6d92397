import type { z } from 'zod'
import type { Clock } from '../core/index.ts'
import type { RecordKindName, TenantTransaction, ToolCategory, ToolRisk } from '../db/index.ts'

/** Who a tool runs for, inside the tenant transaction that scopes everything it touches. */
export interface ToolContext {
  tenant: TenantTransaction
  actor: { userId: string }
  clock: Clock
}

/** What undo needs, stored with the history entry. Generic shapes cover most tools. */
export type UndoState =
  /** An update: restore `before` if the record still has the `after` values. */
  | {
      type: 'update'
      kind: RecordKindName
      id: string
      before: Record<string, unknown>
      after: Record<string, unknown>
    }
  /**
   * Records the action created: remove them. With `updatedAt` (as created), a record someone
   * changed since is not removed: undo answers 409 instead of discarding their change.
   */
  | { type: 'create'; records: { kind: RecordKindName; id: string; updatedAt?: string | Date | undefined }[] }
  /** A record the action deleted: put it back as it was. */
  | { type: 'delete'; kind: RecordKindName; record: Record<string, unknown> & { id: string } }
  /** Several steps, undone in reverse order. */
  | { type: 'steps'; steps: UndoState[] }

export interface PreparedInput<Input> {
  /** The canonical input: names resolved to ids, defaults applied. This is what runs and is stored. */
  input: Input
  /** Facts looked up for the summary (record names, current stage...). */
  facts: Record<string, unknown>
}

export interface ToolOutcome {
  /** What the caller (model, API client) gets back. */
  result: unknown
  /** One line for the action history ("Moved deal 'Acme renewal' to Won"). */
  resultSummary: string
  /** How to undo; absent when there is nothing to undo (reads, no-op updates). */
  undo?: UndoState | undefined
}

/**
 * A tool: one thing the assistant (or an API client) can do in a workspace. Tools only reach data
 * through db/ functions running inside the tenant transaction they are given.
 */
export interface ToolDefinition<Input = Record<string, unknown>> {
  name: string
  category: ToolCategory
  risk: ToolRisk
  /** Written for a language model: what it does, when to use it, what it returns. */
  description: string
  inputSchema: z.ZodType<Input>
  /**
   * Resolves references (a contact name to its id, with candidates when ambiguous), checks the
   * records exist in this workspace and gathers facts for the summary. Runs before the policy, in
   * a short transaction; must not change anything. Default: the input as is, no facts.
   */
  prepare?(context: ToolContext, input: Input): Promise<PreparedInput<Input>>
  /** The one-line human summary for approval cards. Pure. */
  summarize(input: Input, facts: Record<string, unknown>): string
  /**
   * Does the work inside the tenant transaction; throws AppError for anything the caller should see.
   * An approved pending action runs `execute` with the input `prepare` produced when it was asked
   * for, possibly days later and without running `prepare` again: `execute` must check again the
   * state it depends on (the record still exists, the campaign is still a draft...).
   */
  execute(context: ToolContext, input: Input): Promise<ToolOutcome>
  /**
   * Why this tool's effects cannot be undone (e.g. an email left the building); absent when
   * undo works from the stored UndoState.
   */
  notUndoableBecause?: string
}

/** Declares a tool with its input type inferred from the schema. */
export function defineTool<Schema extends z.ZodType<Record<string, unknown>>>(
  definition: ToolDefinition<z.output<Schema>> & { inputSchema: Schema },
): ToolDefinition<z.output<Schema>> {
  return definition
}
