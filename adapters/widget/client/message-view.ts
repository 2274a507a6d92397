import {
  type ActionStatus,
  type ChatMessage,
  furtherStatus,
  type Source,
  type ToolPart,
} from './chat-state.ts'
import { h } from './dom.ts'
import { linkCitations, renderMarkdown } from './markdown.ts'

/** What a rendered message needs from the widget: live action state and the card buttons. */
export interface MessageViewContext {
  /** The latest status reported for an action id (`action` messages, local decisions). */
  actionStatus(actionId: string): ActionStatus | undefined
  /** A card's error to show (a refused decision or undo), by tool call id. */
  cardError(toolCallId: string): string | undefined
  /** True while a card's request is in flight. */
  cardBusy(toolCallId: string): boolean
  decide(part: ToolPart, decision: 'approve' | 'reject'): void
  undo(part: ToolPart): void
  /** Which source list is open for a message, and which entry is highlighted. */
  openSources: Map<string, number | null>
  toggleSources(messageId: string, index: number | null): void
}

const toolLabel = (name: string) => {
  const words = name.replace(/[_-]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

const readLabels: Record<string, string> = {
  search_knowledge: 'Searched the knowledge base',
}

const statusText: Record<ActionStatus, string> = {
  pending: 'Waiting for your approval.',
  approved: 'Approved, running…',
  executing: 'Running…',
  executed: 'Done.',
  rejected: 'Rejected: nothing was changed.',
  failed: 'Failed: nothing was changed.',
  expired: 'Expired: nothing was changed.',
  cancelled: 'Cancelled: nothing was changed.',
  undone: 'Undone.',
}

/** The status a card shows: the further along of the message's own and the live reports. */
export function cardStatus(part: ToolPart, context: Pick<MessageViewContext, 'actionStatus'>): ActionStatus {
  const own: ActionStatus =
    part.status === 'running' ? 'executing' : part.status === 'done' ? 'executed' : part.status
  let status = own
  for (const id of [part.approvalId, part.actionId]) {
    if (id) status = furtherStatus(status, context.actionStatus(id))
  }
  return status
}

/** A message's element; rebuilt whole when the message changes (the caller restores focus). */
export function renderMessage(message: ChatMessage, context: MessageViewContext): HTMLElement {
  const element = h('div', {
    class: 'message',
    testid: 'message',
    attrs: {
      'data-role': message.role,
      'data-status': message.status,
      'data-message-id': message.id,
      'aria-busy': message.status === 'streaming' ? 'true' : null,
    },
  })
  const bubble = h(
    'div',
    { class: 'bubble' },
    h('span', { class: 'sr-only', text: message.role === 'user' ? 'You: ' : 'Nereid: ' }),
  )
  element.append(bubble)
  if (message.role === 'user') {
    for (const part of message.parts) if (part.kind === 'text') bubble.append(part.text)
    for (const part of message.parts)
      if (part.kind === 'error')
        element.append(h('div', { class: 'error-text', attrs: { role: 'alert' }, text: part.text }))
    return element
  }
  const known = (index: number) => message.sources.some((source) => source.index === index)
  for (const part of message.parts) {
    if (part.kind === 'text') {
      const fragment = renderMarkdown(part.text)
      linkCitations(fragment, known, (index) => citationChip(message, index, context))
      bubble.append(h('div', { class: 'md' }, fragment))
    } else if (part.kind === 'error') {
      bubble.append(
        h('div', { class: 'error-text', attrs: { role: 'alert' }, testid: 'message-error', text: part.text }),
      )
    } else if (part.isAction) {
      bubble.append(renderCard(part, context))
    } else {
      bubble.append(renderToolLine(part))
    }
  }
  if (message.status === 'streaming' && !message.parts.some((part) => part.kind === 'text' && part.text)) {
    bubble.append(typingIndicator())
  }
  if (message.sources.length > 0) {
    const open = context.openSources.has(message.id)
    const listId = `sources-${message.id.replace(/[^\w-]/g, '')}`
    element.append(
      h('button', {
        class: 'sources-toggle',
        testid: 'sources-toggle',
        attrs: {
          type: 'button',
          'aria-expanded': String(open),
          'aria-controls': listId,
          'data-focus-key': `sources:${message.id}`,
        },
        text: `${open ? 'Hide' : 'Show'} sources (${message.sources.length})`,
        on: { click: () => context.toggleSources(message.id, null) },
      }),
    )
    if (open) element.append(renderSources(message, listId, context.openSources.get(message.id) ?? null))
  }
  return element
}

export function typingIndicator(): HTMLElement {
  return h(
    'div',
    { class: 'typing', testid: 'typing', attrs: { role: 'status', 'aria-label': 'Nereid is writing' } },
    h('span'),
    h('span'),
    h('span'),
  )
}

function citationChip(message: ChatMessage, index: number, context: MessageViewContext): HTMLElement {
  const source = message.sources.find((candidate) => candidate.index === index)
  return h('button', {
    class: 'cite',
    testid: 'citation-chip',
    text: String(index),
    attrs: {
      type: 'button',
      'data-index': index,
      'data-focus-key': `cite:${message.id}:${index}`,
      'aria-label': `Source ${index}: ${source ? describeSource(source) : ''}`,
    },
    on: { click: () => context.toggleSources(message.id, index) },
  })
}

const describeSource = (source: Source) =>
  source.page === null ? source.title : `${source.title}, page ${source.page}`

function renderSources(message: ChatMessage, id: string, active: number | null): HTMLElement {
  return h(
    'ol',
    { class: 'sources', testid: 'source-list', attrs: { id, 'aria-label': 'Sources' } },
    ...message.sources.map((source) =>
      h(
        'li',
        {
          testid: 'source',
          attrs: {
            'data-index': source.index,
            'data-active': source.index === active ? 'true' : null,
            tabindex: '-1',
            'data-focus-key': `source:${message.id}:${source.index}`,
          },
        },
        h('span', { class: 'number', text: `[${source.index}]` }),
        h('span', { class: 'title', testid: 'source-title', text: source.title }),
        source.page === null ? null : h('span', { class: 'meta', text: `Page ${source.page}` }),
        source.snippet
          ? h('span', { class: 'snippet', testid: 'source-snippet', text: `“${source.snippet}”` })
          : null,
      ),
    ),
  )
}

function renderToolLine(part: ToolPart): HTMLElement {
  const label = toolLabel(part.toolName)
  const text =
    part.status === 'running'
      ? `${label}…`
      : part.status === 'failed'
        ? `${label} failed: ${part.errorText ?? 'unknown error'}`
        : (readLabels[part.toolName] ?? `Used ${label.toLowerCase()}`)
  return h('div', { class: 'tool-line', testid: 'tool-line', attrs: { 'data-tool': part.toolName }, text })
}

/** An action card: the change, its live status, Approve / Reject while pending, Undo once done. */
function renderCard(part: ToolPart, context: MessageViewContext): HTMLElement {
  const status = cardStatus(part, context)
  const busy = context.cardBusy(part.toolCallId)
  const error = context.cardError(part.toolCallId)
  const summary = part.summary ?? toolLabel(part.toolName)
  const needsApproval = part.approvalId !== undefined
  const detail =
    status === 'failed' && part.errorText
      ? `Failed: ${part.errorText}`
      : (status === 'rejected' || status === 'expired' || status === 'cancelled') && part.reason
        ? part.reason
        : statusText[status]
  const card = h('div', {
    class: 'card',
    testid: needsApproval ? 'approval-card' : 'action-card',
    attrs: {
      role: 'group',
      'aria-label': `${needsApproval ? 'Approval' : 'Action'}: ${summary}`,
      'data-status': status,
      'data-tool': part.toolName,
      'data-action-id': part.approvalId ?? part.actionId,
    },
  })
  card.append(
    h('div', {
      class: 'card-kind',
      text: status === 'pending' ? 'Approval needed' : toolLabel(part.toolName),
    }),
    h('p', { class: 'card-summary', testid: 'card-summary', text: summary }),
    h('p', { class: 'card-status', testid: 'card-status', attrs: { role: 'status' }, text: detail }),
  )
  if (status === 'executed' && part.result !== undefined && part.result !== null) {
    card.append(
      h(
        'details',
        { class: 'card-result', testid: 'card-result' },
        h('summary', { text: 'Result' }),
        h('pre', { text: JSON.stringify(part.result, null, 2) }),
      ),
    )
  }
  const actions = h('div', { class: 'card-actions' })
  if (status === 'pending' && needsApproval) {
    actions.append(
      h('button', {
        class: 'button primary',
        testid: 'approve',
        text: 'Approve',
        attrs: {
          type: 'button',
          disabled: busy,
          'data-focus-key': `approve:${part.toolCallId}`,
          'aria-label': `Approve: ${summary}`,
        },
        on: { click: () => context.decide(part, 'approve') },
      }),
      h('button', {
        class: 'button',
        testid: 'reject',
        text: 'Reject',
        attrs: {
          type: 'button',
          disabled: busy,
          'data-focus-key': `reject:${part.toolCallId}`,
          'aria-label': `Reject: ${summary}`,
        },
        on: { click: () => context.decide(part, 'reject') },
      }),
    )
  }
  if (status === 'executed' && (part.actionId ?? part.approvalId)) {
    actions.append(
      h('button', {
        class: 'button',
        testid: 'undo',
        text: 'Undo',
        attrs: {
          type: 'button',
          disabled: busy,
          'data-focus-key': `undo:${part.toolCallId}`,
          'aria-label': `Undo: ${summary}`,
        },
        on: { click: () => context.undo(part) },
      }),
    )
  }
  if (actions.childElementCount > 0) card.append(actions)
  if (error)
    card.append(h('p', { class: 'card-error', testid: 'card-error', attrs: { role: 'alert' }, text: error }))
  return card
}
