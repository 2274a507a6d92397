import type { UIMessageChunk } from 'ai'
import type { Logger } from '../../core/index.ts'
import { citationBlocks, type SourceChunk } from './citation-block.ts'
import type { ReplyPart } from './slack-reply.ts'

/** A tool call the turn asks the person to decide. */
export interface ApprovalRequest {
  actionId: string
  summary: string
  toolName?: string | undefined
}

/**
 * Renders one assistant message (a turn, or the continuation after a decision) into Slack as it
 * streams: text into reply parts, an approval card (posted by `onApprovalRequest`) after the text
 * that led to it, errors as a warning line, and the cited sources as a context block under the
 * last part. Always reads the stream to its end, so the turn is stored even when Slack fails.
 */
export async function renderTurn({
  stream,
  createPart,
  onApprovalRequest,
  logger,
}: {
  stream: ReadableStream<UIMessageChunk>
  createPart: () => ReplyPart
  onApprovalRequest: (request: ApprovalRequest) => Promise<void>
  logger: Logger
}): Promise<{ postedTs: string[]; text: string }> {
  let part = createPart()
  const postedTs: string[] = []
  const sources: SourceChunk[] = []
  const toolNames = new Map<string, string>()
  let fullText = ''
  let lastTextId: string | undefined
  const append = (markdown: string) => {
    part.append(markdown)
    fullText += markdown
  }
  for await (const chunk of stream) {
    switch (chunk.type) {
      case 'text-start':
        if (part.text.trim() !== '' && chunk.id !== lastTextId) append('\n\n')
        lastTextId = chunk.id
        break
      case 'text-delta':
        append(chunk.delta)
        break
      case 'source-document':
        sources.push(chunk as SourceChunk)
        break
      case 'tool-input-start':
      case 'tool-input-available':
        toolNames.set(chunk.toolCallId, chunk.toolName)
        break
      case 'tool-approval-request': {
        const request = chunk as { toolCallId: string; approvalId: string; reason?: string }
        postedTs.push(...(await part.settle()))
        try {
          await onApprovalRequest({
            actionId: request.approvalId,
            summary: request.reason ?? 'A change needs your approval.',
            toolName: toolNames.get(request.toolCallId),
          })
        } catch (error) {
          logger.warn(
            { err: error, component: 'slack', actionId: request.approvalId },
            'could not post an approval card',
          )
        }
        part = createPart()
        lastTextId = undefined
        break
      }
      case 'error':
        append(`${part.text.trim() ? '\n\n' : ''}:warning: ${chunk.errorText}`)
        break
      default:
        break
    }
  }
  postedTs.push(...(await part.settle({ blocks: citationBlocks({ sources, text: fullText }) })))
  return { postedTs, text: fullText }
}
