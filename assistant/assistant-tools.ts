import { type FlexibleSchema, type ToolApprovalStatus, type ToolSet, tool, zodSchema } from 'ai'
import type { z } from 'zod'
import { isAppError } from '../core/index.ts'
import type { Actor, InvokeResult, ToolService } from '../tools/index.ts'

/** A call that waits for a member's decision: its pending action and the line shown to people. */
export interface PendingCall {
  actionId: string
  summary: string
  expiresAt: Date
}

export interface AssistantToolsOptions {
  toolService: ToolService
  /** The member the turn runs for, with the conversation; every call runs as them. */
  actor: Actor
}

/** What the model gets back from a tool: data, including recoverable failures (never thrown). */
export function toolOutputFor(result: InvokeResult): Record<string, unknown> {
  return result.status === 'executed'
    ? { status: 'executed', actionId: result.actionId, summary: result.summary, result: result.result }
    : {
        status: 'pending',
        actionId: result.actionId,
        summary: result.summary,
        note: 'Waiting for the member to approve or reject this change. Do not call the tool again for it.',
      }
}

/**
 * Each tool's input schema wrapped once per process: the wrapper memoizes its JSON Schema, which the
 * AI SDK otherwise recomputes from zod for every tool at every step of every turn.
 */
const inputSchemas = new WeakMap<object, FlexibleSchema<unknown>>()
const inputSchemaOf = (schema: z.ZodType): FlexibleSchema<unknown> => {
  let wrapped = inputSchemas.get(schema)
  if (!wrapped) {
    wrapped = zodSchema(schema) as FlexibleSchema<unknown>
    inputSchemas.set(schema, wrapped)
  }
  return wrapped
}

const failureOutput = (error: unknown) => ({
  error: isAppError(error) && error.status < 500 ? error.message : 'The tool failed; nothing was changed.',
  ...(isAppError(error) && error.details ? { details: error.details } : {}),
})

/**
 * The workspace tools as AI SDK tools bound to the member, plus the `toolApproval` function that
 * runs the autonomy policy for every call (AI SDK v7 tool approvals).
 *
 * Why approval is decided here and not by the model or the client: the policy reads the member's
 * stored autonomy settings; a call that must wait becomes a persisted pending action *before* the
 * approval request is streamed, so the request carries the action's id and any channel can decide
 * it later. Whatever comes back (a client's approval response, a Slack button) is only a reference
 * to that action; the stored, prepared input is what runs, exactly once (tools/tool-service.ts).
 */
export function createAssistantTools({ toolService, actor }: AssistantToolsOptions) {
  const pending = new Map<string, PendingCall>()
  /** Outputs settled while deciding (the policy changed under us, or preparing failed). */
  const settled = new Map<string, Record<string, unknown>>()

  const tools: ToolSet = {}
  for (const definition of toolService.tools) {
    tools[definition.name] = tool({
      description: `${definition.description}${definition.risk === 'read' ? '' : ` (Changes data: ${definition.risk}.)`}`,
      inputSchema: inputSchemaOf(definition.inputSchema as z.ZodType),
      execute: async (input: unknown, { toolCallId }: { toolCallId: string }) => {
        const early = settled.get(toolCallId)
        if (early) return early
        try {
          return toolOutputFor(
            await toolService.invoke({ actor: { ...actor, toolCallId }, name: definition.name, input }),
          )
        } catch (error) {
          return failureOutput(error)
        }
      },
    })
  }

  async function toolApproval({
    toolCall,
  }: {
    toolCall: { toolName: string; toolCallId: string; input: unknown }
  }): Promise<ToolApprovalStatus> {
    const definition = toolService.tools.find((candidate) => candidate.name === toolCall.toolName)
    if (!definition) return undefined
    const decision = await toolService.previewDecision({ actor, name: definition.name })
    if (decision.mode === 'auto') return undefined
    if (decision.mode === 'off') return { type: 'denied', reason: decision.reason }
    try {
      const result = await toolService.invoke({
        actor: { ...actor, toolCallId: toolCall.toolCallId },
        name: definition.name,
        input: toolCall.input,
      })
      if (result.status === 'pending') {
        pending.set(toolCall.toolCallId, {
          actionId: result.actionId,
          summary: result.summary,
          expiresAt: result.expiresAt,
        })
        return { type: 'user-approval', reason: result.summary }
      }
      settled.set(toolCall.toolCallId, toolOutputFor(result))
    } catch (error) {
      settled.set(toolCall.toolCallId, failureOutput(error))
    }
    return undefined
  }

  return { tools, toolApproval, pending }
}

export type AssistantTools = ReturnType<typeof createAssistantTools>
