import { describe, expect, it } from 'vitest'
import {
  applyChunk,
  assistantMessage,
  fromStoredMessage,
  furtherStatus,
  type ToolPart,
} from './chat-state.ts'

const tool = (message: { parts: unknown[] }, index = 0) =>
  message.parts.filter((part) => (part as ToolPart).kind === 'tool')[index] as ToolPart

describe('applyChunk', () => {
  it('folds a streamed answer: text, sources with snippets from the search result, finish', () => {
    const message = assistantMessage('a1')
    const chunks = [
      { type: 'start', messageId: 'a1' },
      { type: 'tool-input-available', toolCallId: 'c1', toolName: 'search_knowledge', input: { query: 'x' } },
      {
        type: 'tool-output-available',
        toolCallId: 'c1',
        output: { passages: [{ ref: 1, text: '  Handbook   says\nhi  ', page: 3 }] },
      },
      {
        type: 'source-document',
        sourceId: 'k1',
        title: 'Handbook',
        providerMetadata: { nereid: { index: 1, documentId: 'd1', chunkId: 'k1', page: 3 } },
      },
      { type: 'text-start', id: 't1' },
      { type: 'text-delta', id: 't1', delta: 'Yes ' },
      { type: 'text-delta', id: 't1', delta: '[1].' },
      { type: 'text-end', id: 't1' },
      { type: 'finish' },
    ]
    for (const chunk of chunks) applyChunk(message, chunk)
    expect(message.status).toBe('complete')
    expect(message.parts.find((part) => part.kind === 'text')).toMatchObject({ text: 'Yes [1].' })
    expect(tool(message)).toMatchObject({ toolName: 'search_knowledge', status: 'done', isAction: false })
    // The source arrived after the search result; the snippet still finds it.
    expect(message.sources).toEqual([
      { index: 1, title: 'Handbook', page: 3, documentId: 'd1', chunkId: 'k1', snippet: 'Handbook says hi' },
    ])
  })

  it('turns an approval request into a pending action card and its outcome into the card state', () => {
    const message = assistantMessage('a2')
    applyChunk(message, {
      type: 'tool-input-available',
      toolCallId: 'c2',
      toolName: 'create_task',
      input: {},
    })
    applyChunk(message, {
      type: 'tool-approval-request',
      toolCallId: 'c2',
      approvalId: 'p1',
      reason: 'Create task',
    })
    expect(tool(message)).toMatchObject({
      isAction: true,
      status: 'pending',
      approvalId: 'p1',
      summary: 'Create task',
    })
    applyChunk(message, {
      type: 'tool-output-available',
      toolCallId: 'c2',
      output: { status: 'executed', actionId: 'p1', summary: 'Created task', result: { id: 't' } },
    })
    expect(tool(message)).toMatchObject({ status: 'executed', actionId: 'p1', result: { id: 't' } })

    applyChunk(message, { type: 'tool-output-denied', toolCallId: 'c3', toolName: 'send_campaign' })
    expect(tool(message, 1)).toMatchObject({ isAction: true, status: 'rejected' })
    applyChunk(message, {
      type: 'tool-output-available',
      toolCallId: 'c4',
      toolName: 'create_deal',
      output: { error: 'No such stage.' },
    })
    expect(tool(message, 2)).toMatchObject({ status: 'failed', errorText: 'No such stage.' })
  })

  it('keeps deltas whose start was missed and ends with an error part on error', () => {
    const message = assistantMessage('a3')
    applyChunk(message, { type: 'text-delta', id: 'late', delta: 'partial' })
    applyChunk(message, { type: 'error', errorText: 'The language model server failed.' })
    expect(message.status).toBe('error')
    expect(message.parts.map((part) => part.kind)).toEqual(['text', 'error'])
    expect(applyChunk(message, { type: 'data-unknown' })).toBe(false)
  })
})

describe('fromStoredMessage', () => {
  it('reads stored UI message parts: text, sources, and tool parts in every approval state', () => {
    const message = fromStoredMessage({
      id: 'm1',
      role: 'assistant',
      status: 'complete',
      parts: [
        { type: 'step-start' },
        { type: 'text', text: 'Here [1]' },
        {
          type: 'source-document',
          sourceId: 'k',
          title: 'Doc',
          providerMetadata: { nereid: { index: 1, page: null } },
        },
        {
          type: 'tool-create_task',
          toolCallId: 'a',
          state: 'approval-requested',
          input: {},
          approval: { id: 'p-a', requestReason: "Create task 'A'" },
        },
        {
          type: 'tool-create_task',
          toolCallId: 'b',
          state: 'output-available',
          approval: { id: 'p-b', approved: true, requestReason: "Create task 'B'" },
          output: { status: 'executed', actionId: 'p-b', summary: "Create task 'B'", result: { task: {} } },
        },
        {
          type: 'tool-create_task',
          toolCallId: 'c',
          state: 'output-denied',
          approval: { id: 'p-c', approved: false, reason: 'Not run: the request expired.' },
        },
        { type: 'tool-create_task', toolCallId: 'd', state: 'output-error', errorText: 'Boom' },
        {
          type: 'dynamic-tool',
          toolName: 'lookup',
          toolCallId: 'e',
          state: 'output-available',
          output: { rows: 1 },
        },
      ],
    })
    expect(message.parts[0]).toMatchObject({ kind: 'text', text: 'Here [1]' })
    expect(message.sources).toEqual([{ index: 1, title: 'Doc', page: null, chunkId: 'k' }])
    expect(message.parts.slice(1).map((part) => (part as ToolPart).status)).toEqual([
      'pending',
      'executed',
      'expired',
      'failed',
      'done',
    ])
    expect(tool(message, 0)).toMatchObject({
      approvalId: 'p-a',
      summary: "Create task 'A'",
      toolName: 'create_task',
    })
    expect(tool(message, 2)).toMatchObject({ reason: 'Not run: the request expired.' })
    expect(tool(message, 4)).toMatchObject({ toolName: 'lookup', isAction: false })
  })

  it('shows the stored error of a failed answer', () => {
    const message = fromStoredMessage({
      id: 'm2',
      role: 'assistant',
      status: 'error',
      error: 'Rate limited.',
      parts: [],
    })
    expect(message.parts).toEqual([{ kind: 'error', key: 'error', text: 'Rate limited.' }])
  })
})

describe('furtherStatus', () => {
  it('never moves a card back', () => {
    expect(furtherStatus('pending', 'executed')).toBe('executed')
    expect(furtherStatus('executed', 'pending')).toBe('executed')
    expect(furtherStatus('executed', 'undone')).toBe('undone')
    expect(furtherStatus('rejected', undefined)).toBe('rejected')
  })
})
