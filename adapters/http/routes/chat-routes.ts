import { pipeUIMessageStreamToResponse } from 'ai'
import { Router } from 'express'
import { z } from 'zod'
import type { ChatService } from '../../../assistant/index.ts'
import { AppError } from '../../../core/index.ts'
import type { Database } from '../../../db/index.ts'
import { findConversation, listConversations, listMessages } from '../../../db/index.ts'
import { pageOf, pagingQueryShape } from '../paging.ts'
import { getRequestContext } from '../request-context.ts'
import { validateInput } from '../validate-input.ts'

/** The AI SDK UI chat request; the server keeps history, so only the newest message is used. */
const chatBody = z.object({
  id: z.string().trim().min(1).max(200),
  messages: z.array(z.unknown()).min(1).max(1000),
})
const listQuery = z.object({ ...pagingQueryShape }).strict()
const idParameter = z.object({ id: z.uuid({ message: 'expected a conversation id (uuid)' }) })

/**
 * `POST /v1/chat` in the AI SDK UI message stream protocol (SSE), so `useChat` and
 * `DefaultChatTransport` work unchanged; the conversations of the calling member. The model call is
 * aborted when the client goes away.
 */
export function createChatRoutes({ chat, database }: { chat: ChatService; database: Database }): Router {
  const router = Router()

  router.post('/chat', async (request, response) => {
    const context = getRequestContext(request)
    const body = validateInput({ schema: chatBody, input: request.body ?? {}, what: 'field' })
    const abort = new AbortController()
    response.on('close', () => {
      if (!response.writableFinished) abort.abort()
    })
    const { conversationId, stream } = await chat.streamTurn({
      actor: { workspaceId: context.workspaceId, userId: context.userId, role: context.role, channel: 'api' },
      chatId: body.id,
      message: body.messages.at(-1),
      abortSignal: abort.signal,
    })
    pipeUIMessageStreamToResponse({
      response,
      stream,
      headers: { 'X-Nereid-Conversation-Id': conversationId },
    })
  })

  router.get('/conversations', async (request, response) => {
    const context = getRequestContext(request)
    const query = validateInput({ schema: listQuery, input: request.query, what: 'query parameter' })
    const { conversations, total } = await database.withTenant(context, (tenant) =>
      listConversations(tenant, { userId: context.userId, limit: query.limit, offset: query.offset }),
    )
    response.json({
      data: conversations,
      total,
      page: pageOf({ count: conversations.length, limit: query.limit, offset: query.offset }),
    })
  })

  router.get('/conversations/:id', async (request, response) => {
    const context = getRequestContext(request)
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    const found = await database.withTenant(context, async (tenant) => {
      const conversation = await findConversation(tenant, { id, userId: context.userId })
      return conversation && { conversation, messages: await listMessages(tenant, { conversationId: id }) }
    })
    if (!found) throw new AppError('not_found', { message: 'No such conversation.' })
    response.json({
      ...found.conversation,
      messages: found.messages.map((message) => ({
        id: message.id,
        role: message.role,
        parts: message.parts,
        status: message.status,
        error: message.error,
        usage: message.usage,
        createdAt: message.createdAt,
      })),
    })
  })

  return router
}
