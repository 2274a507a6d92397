import type { ServerMessage } from '../widget-protocol.ts'
import { type Api, ApiError, createApi } from './api.ts'
import {
  type ActionStatus,
  applyChunk,
  assistantMessage,
  type ChatMessage,
  fromStoredMessage,
  furtherStatus,
  isTerminalChunk,
  type ToolPart,
  userMessage,
} from './chat-state.ts'
import { type Connection, type ConnectionState, createConnection, RequestError } from './connection.ts'
import { h, icon, icons } from './dom.ts'
import { randomId } from './ids.ts'
import { type MessageViewContext, renderMessage, typingIndicator } from './message-view.ts'
import { type ResolvedOptions, textColorOn } from './options.ts'
import { widgetCss } from './styles.ts'
import { createTokenSource, type TokenSource } from './token-source.ts'

export interface WidgetApp {
  open(): void
  close(): void
  destroy(): void
  readonly isOpen: boolean
}

type Loose = Record<string, unknown>
type Ready = Extract<ServerMessage, { type: 'ready' }>

interface Notice {
  id: string
  title: string
  body: string
  createdAt?: string
  unread: boolean
  /** The insight it is about, with the button text of its suggested action (when it has one). */
  insightId?: string
  actionLabel?: string
  /** What became of the insight here: shown instead of the buttons. */
  outcome?: string
  busy?: boolean
}

interface Upload {
  key: string
  name: string
  state: 'uploading' | 'processing' | 'ready' | 'failed'
  progress: number
  error?: string
  documentId?: string
}

interface ConversationSummary {
  id: string
  title: string
  updatedAt?: string
}

const maxMessageLength = 20_000
const storageKey = (ready: Ready) => `nereid:chat:${ready.workspaceId}:${ready.userId}`

function readStorage(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined
  } catch {
    return undefined
  }
}

function writeStorage(key: string, value: string): void {
  try {
    localStorage.setItem(key, value)
  } catch {
    // storage may be disabled (private mode, sandboxed frames); the widget works without it
  }
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Mounts the widget: a `<nereid-widget>` element with an open Shadow DOM at the end of `<body>`,
 * the launcher and the panel, one WebSocket to the server, and the token schedule.
 */
export function mountWidget(options: ResolvedOptions): WidgetApp {
  // --- state ---------------------------------------------------------------------------------
  let isOpen = false
  let view: 'chat' | 'conversations' | 'notifications' = 'chat'
  let chatId = randomId()
  let conversationId: string | undefined
  let messages: ChatMessage[] = []
  /** The assistant message chunks of the open chat go into. */
  let live: ChatMessage | undefined
  /** A turn of the open chat is streaming (between its first chunk and `finish`). */
  let replying = false
  /** A `chat` was sent and nothing came back yet. */
  let awaitingReply = false
  /** A reload (`subscribe`) wanted while a turn streams; done after it ends. */
  let reloadAfterTurn = false
  /** A token refresh arrived while a turn streamed; reconnect once it ends. */
  let restartAfterTurn = false
  /**
   * The chat whose stored state was asked for (`subscribe`) and has not arrived yet. Its chunks are
   * ignored until then: the server sends the stored conversation and then replays the answer in
   * flight from its start, so chunks before that would be shown twice.
   */
  let awaitingSnapshot: string | undefined
  let me: Ready | undefined
  let everReady = false
  let destroyed = false
  let conversations: ConversationSummary[] | undefined
  const notices: Notice[] = []
  const uploads: Upload[] = []
  const actionStatuses = new Map<string, ActionStatus>()
  const cardErrors = new Map<string, string>()
  const cardBusy = new Set<string>()
  const openSources = new Map<string, number | null>()
  const rendered = new Map<string, { element: HTMLElement; stamp: string }>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let frame: number | undefined
  let scrollWanted = false
  let statusTimer: ReturnType<typeof setTimeout> | undefined
  /** An element (by focus key) to scroll to and focus after the next render. */
  let reveal: string | undefined

  // --- shell ---------------------------------------------------------------------------------
  const host = document.createElement('nereid-widget')
  const shadow = host.attachShadow({ mode: 'open' })
  adoptStyles(shadow)
  const root = h('div', {
    class: 'root',
    attrs: { 'data-theme': options.theme, 'data-position': options.position, 'data-open': 'false' },
  })
  if (options.primaryColor) root.style.setProperty('--nereid-primary', options.primaryColor)

  const launcherBadge = h('span', {
    class: 'badge',
    testid: 'launcher-badge',
    hidden: true,
    attrs: { 'aria-hidden': 'true' },
  })
  const launcher = h(
    'button',
    {
      class: 'launcher',
      testid: 'launcher',
      attrs: {
        type: 'button',
        'aria-label': `Open ${options.title}`,
        'aria-expanded': 'false',
        'aria-controls': 'nereid-panel',
        'aria-haspopup': 'dialog',
      },
      on: { click: () => (isOpen ? close() : open()) },
    },
    icon(icons.chat),
    launcherBadge,
  )

  const titleElement = h('h2', { attrs: { id: 'nereid-title' }, text: options.title })
  const notificationBadge = h('span', {
    class: 'badge',
    testid: 'notification-badge',
    hidden: true,
    attrs: { 'aria-hidden': 'true' },
  })
  const conversationsButton = iconButton({
    label: 'Conversations',
    testid: 'conversations-button',
    paths: icons.list,
    onClick: () => showView(view === 'conversations' ? 'chat' : 'conversations'),
  })
  const newChatButton = iconButton({
    label: 'New conversation',
    testid: 'new-conversation',
    paths: icons.plus,
    onClick: () => newChat(),
  })
  const notificationsButton = iconButton({
    label: 'Notifications',
    testid: 'notifications-button',
    paths: icons.bell,
    onClick: () => showView(view === 'notifications' ? 'chat' : 'notifications'),
  })
  notificationsButton.append(notificationBadge)
  const closeButton = iconButton({
    label: 'Close chat',
    testid: 'close',
    paths: icons.close,
    onClick: () => close(),
  })
  const header = h(
    'div',
    { class: 'header' },
    conversationsButton,
    titleElement,
    newChatButton,
    notificationsButton,
    closeButton,
  )
  const statusLine = h('div', {
    class: 'status-line',
    testid: 'connection-status',
    hidden: true,
    attrs: { role: 'status' },
  })

  const log = h('div', {
    class: 'log',
    testid: 'message-list',
    attrs: {
      role: 'log',
      'aria-live': 'polite',
      'aria-relevant': 'additions text',
      'aria-label': 'Messages',
      tabindex: '0',
    },
  })
  const greeting = h(
    'div',
    { class: 'message greeting', testid: 'greeting', attrs: { 'data-role': 'assistant' } },
    h('div', { class: 'bubble', text: options.greeting }),
  )
  const pendingIndicator = h(
    'div',
    { class: 'message', attrs: { 'data-role': 'assistant' } },
    h('div', { class: 'bubble' }, typingIndicator()),
  )
  const uploadList = h('div', {
    class: 'uploads',
    testid: 'uploads',
    attrs: { 'aria-live': 'polite', 'aria-label': 'Uploads' },
  })
  const fileInput = h('input', {
    testid: 'upload-input',
    hidden: true,
    attrs: { type: 'file', multiple: true, tabindex: '-1', 'aria-hidden': 'true' },
    on: {
      change: () => {
        for (const file of Array.from(fileInput.files ?? [])) void upload(file)
        fileInput.value = ''
      },
    },
  })
  const attachButton = iconButton({
    label: 'Add a document to the knowledge base',
    testid: 'upload-button',
    paths: icons.attach,
    onClick: () => fileInput.click(),
  })
  const input = h('textarea', {
    testid: 'input',
    attrs: {
      rows: 1,
      'aria-label': 'Message',
      placeholder: 'Ask anything…',
      maxlength: maxMessageLength,
      enterkeyhint: 'send',
    },
    on: {
      keydown: (event) => {
        const key = event as KeyboardEvent
        if (key.key === 'Enter' && !key.shiftKey && !key.isComposing) {
          event.preventDefault()
          send()
        }
      },
      input: () => {
        autosize()
        updateComposer()
      },
    },
  })
  const sendButton = h(
    'button',
    { class: 'icon-button send', testid: 'send', attrs: { type: 'submit', 'aria-label': 'Send' } },
    icon(icons.send),
  )
  const composer = h(
    'form',
    {
      class: 'composer',
      on: {
        submit: (event) => {
          event.preventDefault()
          send()
        },
      },
    },
    attachButton,
    fileInput,
    input,
    sendButton,
  )
  const dropOverlay = h('div', {
    class: 'drop',
    testid: 'drop-zone',
    hidden: true,
    text: 'Drop files to add them to the knowledge base',
  })
  const chatView = h('div', { class: 'view', testid: 'chat-view' }, log, uploadList, composer, dropOverlay)
  const conversationsView = h('div', { class: 'view', testid: 'conversation-list', hidden: true })
  const notificationsView = h('div', { class: 'view', testid: 'notification-list', hidden: true })
  const panel = h(
    'div',
    {
      class: 'panel',
      testid: 'panel',
      hidden: true,
      attrs: { id: 'nereid-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'nereid-title' },
      on: {
        keydown: (event) => {
          if ((event as KeyboardEvent).key !== 'Escape') return
          event.stopPropagation()
          if (view !== 'chat') showView('chat')
          else close()
        },
      },
    },
    header,
    statusLine,
    chatView,
    conversationsView,
    notificationsView,
  )
  setUpDragAndDrop()
  root.append(launcher, panel)
  shadow.append(root)
  document.body.append(host)
  applyPrimaryTextColor()

  // --- token, connection, API -----------------------------------------------------------------
  const tokens: TokenSource = createTokenSource({
    token: options.token,
    tokenUrl: options.tokenUrl,
    fetchToken: options.fetchToken,
    onRefresh: () => {
      // Switch the socket to the fresh token, but not in the middle of an answer.
      if (replying) restartAfterTurn = true
      else connection.restart()
    },
  })
  const api: Api = createApi({
    serverUrl: options.serverUrl,
    getToken: (request) => tokens.get({ fresh: request?.fresh ?? false }),
  })
  const socketBase = options.serverUrl.replace(/^http/, 'ws')
  const connection: Connection = createConnection({
    url: (token) => `${socketBase}/v1/ws?token=${encodeURIComponent(token)}`,
    getToken: ({ fresh }) => tokens.get({ fresh }),
    onReady: ready,
    onMessage: receive,
    onState: connectionState,
    pingIntervalMs: options.pingIntervalMs,
    backoffBaseMs: options.reconnectBaseMs,
  })
  const onVisible = () => {
    if (document.visibilityState === 'visible' && connection.state === 'reconnecting') connection.restart()
  }
  const onOnline = () => {
    if (connection.state === 'reconnecting') connection.restart()
  }
  document.addEventListener('visibilitychange', onVisible)
  window.addEventListener('online', onOnline)

  // --- connection events ----------------------------------------------------------------------
  function ready(message: Ready, reconnected: boolean) {
    me = message
    setStatus(undefined)
    if (!everReady) {
      everReady = true
      const remembered = readStorage(storageKey(message))
      if (remembered && messages.length === 0 && !awaitingReply) {
        chatId = remembered
        subscribe()
      }
      void loadNotifications()
    } else if (reconnected) {
      // Anything streamed while we were away is lost on this socket: reload the stored state.
      if (live?.status === 'streaming') {
        live.status = 'error'
        live.parts.push({
          kind: 'error',
          key: 'lost',
          text: 'The connection dropped while answering; reloading…',
        })
        live.version += 1
      }
      live = undefined
      replying = false
      awaitingReply = false
      if (messages.length > 0 || conversationId) subscribe()
      if (view === 'conversations') connection.send({ type: 'subscribe' })
      render()
    }
  }

  function connectionState(state: ConnectionState) {
    if (state === 'connecting') setStatus('Connecting…')
    else if (state === 'reconnecting') setStatus('Reconnecting…')
    else if (state === 'open') setStatus(undefined)
  }

  function receive(message: ServerMessage) {
    switch (message.type) {
      case 'chunk':
        return receiveChunk(message)
      case 'conversation':
        return receiveConversation(message)
      case 'conversations':
        conversations = message.conversations.map((item) => ({
          id: item.id,
          title: item.title || 'Untitled conversation',
          ...(typeof (item.lastMessageAt ?? item.updatedAt) === 'string'
            ? { updatedAt: String(item.lastMessageAt ?? item.updatedAt) }
            : {}),
        }))
        renderConversations()
        return
      case 'message':
        if (message.conversationId === conversationId || message.conversationId === chatId) {
          if (replying) reloadAfterTurn = true
          else subscribe()
        }
        if (view === 'conversations') connection.send({ type: 'subscribe' })
        return
      case 'action':
        receiveAction(message.actionId, message.status)
        return
      case 'notification':
        addNotice(message.notification, true)
        return
      case 'error':
        if (awaitingReply) {
          awaitingReply = false
          render()
        }
        setStatus(message.message, 'error', 8000)
        return
      default:
        return
    }
  }

  function receiveChunk(message: Extract<ServerMessage, { type: 'chunk' }>) {
    if (
      message.chatId !== chatId &&
      message.conversationId !== chatId &&
      message.conversationId !== conversationId
    ) {
      // Another conversation is answering (another tab): its list entry may have changed.
      if (view === 'conversations' && isTerminalChunk(message.chunk)) connection.send({ type: 'subscribe' })
      return
    }
    if (awaitingSnapshot === chatId) return
    conversationId = message.conversationId
    const chunk = message.chunk as Loose
    const messageId = typeof chunk.messageId === 'string' ? chunk.messageId : undefined
    if (chunk.type === 'start' || !live) {
      const existing = messageId ? messages.find((candidate) => candidate.id === messageId) : undefined
      if (existing) live = existing
      else if (!live || live.parts.length > 0 || live.status !== 'streaming') {
        live = assistantMessage(messageId ?? `live-${randomId()}`)
        messages.push(live)
      }
    }
    applyChunk(live, chunk)
    awaitingReply = false
    for (const candidate of messages) if (candidate.status === 'sending') candidate.status = 'complete'
    if (isTerminalChunk(chunk)) {
      replying = false
      if (chunk.type !== 'error') afterTurn()
    } else replying = true
    render()
  }

  function afterTurn() {
    if (restartAfterTurn) {
      restartAfterTurn = false
      connection.restart()
    } else if (reloadAfterTurn) {
      reloadAfterTurn = false
      subscribe()
    }
  }

  function receiveConversation(message: Extract<ServerMessage, { type: 'conversation' }>) {
    if (
      message.chatId !== chatId &&
      message.conversationId !== chatId &&
      message.conversationId !== conversationId
    )
      return
    awaitingSnapshot = undefined
    conversationId = message.conversationId
    const stored = message.messages.map((item) => fromStoredMessage(item as Loose))
    // Keep what the server has not stored yet: an answer still streaming, messages not yet sent.
    const keep = messages.filter(
      (item) =>
        !stored.some((candidate) => candidate.id === item.id) &&
        ((item === live && item.status === 'streaming') ||
          (item.status === 'sending' &&
            !stored.some((candidate) => candidate.role === 'user' && sameText(candidate, item)))),
    )
    messages = [...stored, ...keep]
    if (live && !messages.includes(live)) live = undefined
    render()
  }

  function receiveAction(actionId: string, status: ActionStatus) {
    actionStatuses.set(actionId, furtherStatus(status, actionStatuses.get(actionId)))
    for (const item of messages) {
      if (
        item.parts.some(
          (part) => part.kind === 'tool' && (part.approvalId === actionId || part.actionId === actionId),
        )
      ) {
        item.version += 1
      }
    }
    render()
  }

  // --- chat -----------------------------------------------------------------------------------
  function subscribe() {
    const target = chatId
    awaitingSnapshot = target
    const settled = () => {
      if (awaitingSnapshot === target) awaitingSnapshot = undefined
    }
    connection.request({ type: 'subscribe', chatId: target }).then(settled, (error: unknown) => {
      settled()
      // A new chat is not stored until its first message; anything else is worth a word.
      if (
        error instanceof RequestError &&
        error.code !== 'not_found' &&
        error.code !== 'disconnected' &&
        target === chatId
      )
        setStatus(error.message, 'error', 8000)
    })
  }

  function send() {
    const text = input.value.trim()
    if (!text || replying || awaitingReply) return
    if (text.length > maxMessageLength) {
      setStatus(`Messages are limited to ${maxMessageLength.toLocaleString()} characters.`, 'error', 6000)
      return
    }
    const message = userMessage({ id: `local-${randomId()}`, text })
    messages.push(message)
    awaitingReply = true
    input.value = ''
    autosize()
    if (me) writeStorage(storageKey(me), chatId)
    const target = chatId
    connection
      .request({ type: 'chat', chatId: target, text })
      .then(() => {
        if (message.status === 'sending') {
          message.status = 'complete'
          message.version += 1
        }
        if (target === chatId && !replying && awaitingReply) {
          // Accepted but nothing streamed within the request timeout.
          awaitingReply = false
        }
        render()
      })
      .catch((error: unknown) => {
        message.status = 'error'
        message.parts.push({ kind: 'error', key: 'send', text: `Not sent: ${errorMessage(error)}` })
        message.version += 1
        if (target === chatId) awaitingReply = false
        render()
      })
    render({ scroll: true })
  }

  function newChat() {
    switchChat(randomId(), false)
  }

  function switchChat(id: string, load: boolean) {
    chatId = id
    conversationId = load ? id : undefined
    messages = []
    live = undefined
    replying = false
    awaitingReply = false
    reloadAfterTurn = false
    rendered.clear()
    if (me) writeStorage(storageKey(me), chatId)
    if (load) subscribe()
    showView('chat')
    render({ scroll: true })
  }

  const viewContext: MessageViewContext = {
    actionStatus: (id) => actionStatuses.get(id),
    cardError: (key) => cardErrors.get(key),
    cardBusy: (key) => cardBusy.has(key),
    openSources,
    toggleSources(messageId, index) {
      const current = openSources.get(messageId)
      if (openSources.has(messageId) && (index === null || current === index)) openSources.delete(messageId)
      else openSources.set(messageId, index)
      touch(messageId)
      // A chip opens its entry: shown and focused once rendered (keyboard users land on it).
      if (index !== null && openSources.has(messageId)) reveal = `source:${messageId}:${index}`
      render()
    },
    decide(part, decision) {
      const actionId = part.approvalId
      if (!actionId || cardBusy.has(part.toolCallId)) return
      cardBusy.add(part.toolCallId)
      cardErrors.delete(part.toolCallId)
      touchPart(part)
      const request =
        decision === 'approve'
          ? { type: 'approve' as const, actionId }
          : { type: 'reject' as const, actionId }
      connection
        .request(request)
        .then(() => {
          const next = decision === 'approve' ? 'approved' : 'rejected'
          actionStatuses.set(actionId, furtherStatus(next, actionStatuses.get(actionId)))
        })
        .catch((error: unknown) => {
          cardErrors.set(part.toolCallId, errorMessage(error))
          // Decided elsewhere meanwhile, or gone: the stored state says what happened.
          subscribe()
        })
        .finally(() => {
          cardBusy.delete(part.toolCallId)
          touchPart(part)
          render()
        })
    },
    undo(part) {
      const actionId = part.actionId ?? part.approvalId
      if (!actionId || cardBusy.has(part.toolCallId)) return
      cardBusy.add(part.toolCallId)
      cardErrors.delete(part.toolCallId)
      touchPart(part)
      api
        .undo(actionId)
        .then(() => {
          for (const id of [part.actionId, part.approvalId]) if (id) actionStatuses.set(id, 'undone')
        })
        .catch((error: unknown) => {
          cardErrors.set(part.toolCallId, error instanceof ApiError ? error.message : errorMessage(error))
        })
        .finally(() => {
          cardBusy.delete(part.toolCallId)
          touchPart(part)
          render()
        })
    },
  }

  function touch(messageId: string) {
    const item = messages.find((candidate) => candidate.id === messageId)
    if (item) item.version += 1
  }

  function touchPart(part: ToolPart) {
    for (const item of messages) if (item.parts.includes(part)) item.version += 1
    render()
  }

  // --- uploads --------------------------------------------------------------------------------
  async function upload(file: File) {
    const item: Upload = { key: randomId(), name: file.name || 'document', state: 'uploading', progress: 0 }
    uploads.push(item)
    renderUploads()
    try {
      const created = await api.upload(file, (fraction) => {
        item.progress = fraction
        renderUploads()
      })
      item.progress = 1
      item.documentId = created.id
      await followDocument(item, created.status, created.error ?? undefined)
    } catch (error) {
      item.state = 'failed'
      item.error = errorMessage(error)
      renderUploads()
    }
  }

  /** Polls the document until its processing ends (every second, then more slowly). */
  async function followDocument(item: Upload, status: string, error: string | undefined) {
    let failures = 0
    for (let attempt = 0; !destroyed; attempt += 1) {
      if (status === 'ready' || status === 'failed') {
        item.state = status
        if (status === 'failed') item.error = error ?? 'The document could not be processed.'
        renderUploads()
        return
      }
      item.state = 'processing'
      renderUploads()
      await wait(attempt < 30 ? 1000 : 5000)
      try {
        const current = await api.document(item.documentId!)
        status = current.status
        error = current.error ?? undefined
        failures = 0
      } catch (caught) {
        failures += 1
        if (failures >= 5 || (caught instanceof ApiError && caught.status === 404)) throw caught
      }
    }
  }

  function wait(ms: number) {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })
  }

  function setUpDragAndDrop() {
    let depth = 0
    const hasFiles = (event: Event) =>
      Array.from((event as DragEvent).dataTransfer?.types ?? []).includes('Files')
    panel.addEventListener('dragenter', (event) => {
      if (!hasFiles(event)) return
      event.preventDefault()
      depth += 1
      dropOverlay.hidden = false
    })
    panel.addEventListener('dragover', (event) => {
      if (!hasFiles(event)) return
      event.preventDefault()
      const transfer = (event as DragEvent).dataTransfer
      if (transfer) transfer.dropEffect = 'copy'
    })
    panel.addEventListener('dragleave', (event) => {
      if (!hasFiles(event)) return
      depth = Math.max(0, depth - 1)
      if (depth === 0) dropOverlay.hidden = true
    })
    panel.addEventListener('drop', (event) => {
      event.preventDefault()
      depth = 0
      dropOverlay.hidden = true
      if (view !== 'chat') showView('chat')
      for (const file of Array.from((event as DragEvent).dataTransfer?.files ?? [])) void upload(file)
    })
  }

  // --- notifications --------------------------------------------------------------------------
  function addNotice(value: Loose, unread: boolean) {
    const id = String(value.id)
    if (notices.some((notice) => notice.id === id)) return
    const text = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : '')
    const data = (value.data && typeof value.data === 'object' ? value.data : {}) as Loose
    notices.unshift({
      id,
      title: text('title') || text('kind') || 'Notification',
      body: text('body') || text('message') || text('text'),
      ...(text('createdAt') ? { createdAt: text('createdAt') } : {}),
      unread: unread && !value.readAt && view !== 'notifications',
      ...(text('insightId') ? { insightId: text('insightId') } : {}),
      ...(typeof data.actionLabel === 'string' ? { actionLabel: data.actionLabel } : {}),
    })
    renderBadges()
    if (view === 'notifications') renderNotifications()
  }

  /** Unread notifications from before this page loaded (when the server offers the list). */
  async function loadNotifications() {
    try {
      const body = await api.notifications()
      const list = Array.isArray(body?.data) ? body.data : []
      for (const value of list.slice().reverse()) {
        if (value && typeof value === 'object' && 'id' in value) addNotice(value as Loose, true)
      }
    } catch {
      // optional: older servers have no notification list
    }
  }

  /** Accepts (runs its suggested action, which may wait for approval) or dismisses an insight. */
  async function decideInsight(notice: Notice, decision: 'accept' | 'dismiss') {
    if (!notice.insightId || notice.busy) return
    notice.busy = true
    renderNotifications()
    try {
      if (decision === 'dismiss') {
        await api.dismissInsight(notice.insightId)
        notice.outcome = 'Dismissed'
      } else {
        const result = await api.acceptInsight(notice.insightId)
        const status = result?.action?.status
        notice.outcome =
          status === 'pending'
            ? 'Accepted: waiting for approval'
            : status === 'failed'
              ? 'Accepted, but the action failed'
              : 'Accepted: done'
      }
    } catch (error) {
      notice.outcome = `Not done: ${errorMessage(error)}`
    } finally {
      notice.busy = false
      renderNotifications()
    }
  }

  function markNoticesRead() {
    for (const notice of notices) {
      if (!notice.unread) continue
      notice.unread = false
      api.markNotificationRead(notice.id).catch(() => undefined)
    }
    renderBadges()
  }

  // --- views and rendering --------------------------------------------------------------------
  function open() {
    if (isOpen || destroyed) return
    isOpen = true
    panel.hidden = false
    root.dataset.open = 'true'
    launcher.setAttribute('aria-expanded', 'true')
    launcher.setAttribute('aria-label', `Close ${options.title}`)
    render({ scroll: true })
    if (view === 'chat') input.focus()
    else panel.querySelector<HTMLElement>('.list-item, button')?.focus()
  }

  function close() {
    if (!isOpen) return
    isOpen = false
    panel.hidden = true
    root.dataset.open = 'false'
    launcher.setAttribute('aria-expanded', 'false')
    launcher.setAttribute('aria-label', `Open ${options.title}`)
    launcher.focus()
  }

  function showView(next: typeof view) {
    view = next
    chatView.hidden = next !== 'chat'
    conversationsView.hidden = next !== 'conversations'
    notificationsView.hidden = next !== 'notifications'
    conversationsButton.setAttribute('aria-pressed', String(next === 'conversations'))
    notificationsButton.setAttribute('aria-pressed', String(next === 'notifications'))
    if (next === 'conversations') {
      renderConversations()
      connection.send({ type: 'subscribe' })
    }
    if (next === 'notifications') {
      renderNotifications()
      markNoticesRead()
    }
    if (!isOpen) return
    if (next === 'chat') input.focus()
    else
      (next === 'conversations' ? conversationsView : notificationsView)
        .querySelector<HTMLElement>('button')
        ?.focus()
  }

  /** Renders on the next animation frame (many chunks arrive per frame while streaming). */
  function render({ scroll = false } = {}) {
    scrollWanted ||= scroll
    if (frame !== undefined || destroyed) return
    const flush = () => {
      if (frame === undefined) return
      cancelAnimationFrame(frame)
      clearTimeout(fallback)
      frame = undefined
      renderNow()
    }
    frame = requestAnimationFrame(flush)
    // Hidden tabs get no animation frames; keep the state current anyway.
    const fallback = setTimeout(flush, 200)
  }

  function renderNow() {
    if (destroyed) return
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60
    const focusKey = (shadow.activeElement as HTMLElement | null)?.dataset?.focusKey
    const children: HTMLElement[] = [greeting]
    for (const message of messages) {
      const stamp = `${message.version}:${message.status}:${message.parts.length}:${message.sources.length}`
      let entry = rendered.get(message.id)
      if (!entry || entry.stamp !== stamp) {
        const element = renderMessage(message, viewContext)
        if (entry) entry.element.replaceWith(element)
        entry = { element, stamp }
        rendered.set(message.id, entry)
      }
      children.push(entry.element)
    }
    if (awaitingReply) children.push(pendingIndicator)
    const current = Array.from(log.children)
    if (current.length !== children.length || current.some((child, index) => child !== children[index]))
      log.replaceChildren(...children)
    for (const id of rendered.keys()) if (!messages.some((message) => message.id === id)) rendered.delete(id)
    log.setAttribute('aria-busy', String(replying))
    const revealed = reveal ? findByFocusKey(reveal) : null
    reveal = undefined
    if (revealed) {
      revealed.focus({ preventScroll: true })
      revealed.scrollIntoView({ block: 'nearest' })
    } else {
      if (focusKey && !shadow.activeElement) findByFocusKey(focusKey)?.focus()
      if (scrollWanted || nearBottom) log.scrollTop = log.scrollHeight
    }
    scrollWanted = false
    updateComposer()
    renderBadges()
  }

  function findByFocusKey(key: string): HTMLElement | null {
    for (const element of shadow.querySelectorAll<HTMLElement>('[data-focus-key]'))
      if (element.dataset.focusKey === key) return element
    return null
  }

  function updateComposer() {
    const busy = replying || awaitingReply
    sendButton.disabled = busy || input.value.trim().length === 0
    sendButton.setAttribute('aria-label', busy ? 'Send (waiting for the answer)' : 'Send')
  }

  function renderUploads() {
    uploadList.replaceChildren(
      ...uploads.map((item) => {
        const stateText =
          item.state === 'uploading'
            ? `Uploading ${Math.round(item.progress * 100)}%`
            : item.state === 'processing'
              ? 'Processing…'
              : item.state === 'ready'
                ? 'Ready'
                : `Failed: ${item.error ?? 'unknown error'}`
        const row = h(
          'div',
          {
            class: 'upload',
            testid: 'upload-status',
            attrs: { 'data-state': item.state, 'data-document-id': item.documentId },
          },
          h('span', { class: 'name', text: item.name }),
          h('span', { class: 'state', text: stateText }),
        )
        if (item.state === 'uploading' || item.state === 'processing') {
          const bar = h('progress', { attrs: { max: '1', 'aria-label': `${item.name}: ${stateText}` } })
          if (item.state === 'uploading') bar.value = item.progress
          else bar.removeAttribute('value')
          row.append(bar)
        } else {
          row.append(
            h('button', {
              class: 'sources-toggle',
              text: 'Dismiss',
              attrs: { type: 'button', 'aria-label': `Dismiss ${item.name}` },
              on: {
                click: () => {
                  uploads.splice(uploads.indexOf(item), 1)
                  renderUploads()
                  input.focus()
                },
              },
            }),
          )
        }
        return row
      }),
    )
  }

  function renderConversations() {
    const list = h('ul', { class: 'list', attrs: { 'aria-label': 'Conversations' } })
    if (conversations === undefined) list.append(h('li', { class: 'empty', text: 'Loading…' }))
    else if (conversations.length === 0)
      list.append(h('li', { class: 'empty', text: 'No conversations yet.' }))
    for (const item of conversations ?? []) {
      list.append(
        h(
          'li',
          {},
          h(
            'button',
            {
              class: 'list-item',
              testid: 'conversation-item',
              attrs: {
                type: 'button',
                'aria-current': item.id === conversationId || item.id === chatId ? 'true' : null,
                'data-id': item.id,
              },
              on: { click: () => switchChat(item.id, true) },
            },
            h('span', { text: item.title }),
            item.updatedAt ? h('span', { class: 'secondary', text: formatTime(item.updatedAt) }) : null,
          ),
        ),
      )
    }
    conversationsView.replaceChildren(
      h(
        'div',
        { class: 'list-title' },
        h('span', { text: 'Conversations', attrs: { style: 'flex:1' } }),
        h('button', {
          class: 'button primary',
          testid: 'new-conversation-in-list',
          text: 'New conversation',
          attrs: { type: 'button' },
          on: { click: () => newChat() },
        }),
      ),
      list,
    )
  }

  function renderNotifications() {
    const list = h('ul', { class: 'list', attrs: { 'aria-label': 'Notifications' } })
    if (notices.length === 0) list.append(h('li', { class: 'empty', text: 'No notifications.' }))
    for (const notice of notices) {
      list.append(
        h(
          'li',
          {
            class: 'notification',
            testid: 'notification',
            attrs: { 'data-unread': String(notice.unread), 'data-id': notice.id },
          },
          h('strong', { text: notice.title }),
          notice.body ? h('span', { text: notice.body }) : null,
          notice.createdAt ? h('span', { class: 'secondary', text: formatTime(notice.createdAt) }) : null,
          notice.outcome
            ? h('span', { class: 'secondary', testid: 'notification-outcome', text: notice.outcome })
            : notice.insightId
              ? h(
                  'div',
                  { class: 'card-actions' },
                  notice.actionLabel
                    ? h('button', {
                        class: 'button primary',
                        testid: 'accept-insight',
                        text: notice.actionLabel,
                        attrs: { type: 'button', disabled: Boolean(notice.busy) },
                        on: { click: () => void decideInsight(notice, 'accept') },
                      })
                    : null,
                  h('button', {
                    class: 'button',
                    testid: 'dismiss-insight',
                    text: 'Dismiss',
                    attrs: {
                      type: 'button',
                      disabled: Boolean(notice.busy),
                      'aria-label': `Dismiss: ${notice.title}`,
                    },
                    on: { click: () => void decideInsight(notice, 'dismiss') },
                  }),
                )
              : null,
        ),
      )
    }
    notificationsView.replaceChildren(
      h(
        'div',
        { class: 'list-title' },
        iconButton({
          label: 'Back to the conversation',
          testid: 'back',
          paths: icons.back,
          onClick: () => showView('chat'),
        }),
        h('span', { text: 'Notifications' }),
      ),
      list,
    )
  }

  function renderBadges() {
    const unread = notices.filter((notice) => notice.unread).length
    const label = unread > 99 ? '99+' : String(unread)
    notificationBadge.hidden = unread === 0
    notificationBadge.textContent = label
    launcherBadge.hidden = unread === 0
    launcherBadge.textContent = label
    notificationsButton.setAttribute(
      'aria-label',
      unread ? `Notifications (${unread} unread)` : 'Notifications',
    )
    notificationsButton.dataset.unread = String(unread)
  }

  function setStatus(text: string | undefined, kind: 'info' | 'error' = 'info', clearAfterMs?: number) {
    if (statusTimer) clearTimeout(statusTimer)
    statusTimer = undefined
    statusLine.hidden = !text
    statusLine.textContent = text ?? ''
    statusLine.dataset.kind = kind
    if (text && clearAfterMs)
      statusTimer = setTimeout(() => {
        if (statusLine.textContent === text) setStatus(undefined)
      }, clearAfterMs)
  }

  function autosize() {
    input.style.height = 'auto'
    input.style.height = `${Math.min(140, input.scrollHeight + 2)}px`
  }

  function applyPrimaryTextColor() {
    const probe = h('span', { attrs: { style: 'color: var(--nereid-primary); display: none' } })
    root.append(probe)
    const color = getComputedStyle(probe).color
    probe.remove()
    if (color) root.style.setProperty('--nereid-on-primary', textColorOn(color))
  }

  connection.start()
  render()
  if (options.open) open()

  return {
    open,
    close,
    get isOpen() {
      return isOpen
    },
    destroy() {
      destroyed = true
      tokens.stop()
      connection.stop()
      for (const timer of timers) clearTimeout(timer)
      if (statusTimer) clearTimeout(statusTimer)
      document.removeEventListener('visibilitychange', onVisible)
      window.removeEventListener('online', onOnline)
      host.remove()
    },
  }
}

function iconButton({
  label,
  testid,
  paths,
  onClick,
}: {
  label: string
  testid: string
  paths: string[]
  onClick: () => void
}): HTMLButtonElement {
  return h(
    'button',
    {
      class: 'icon-button',
      testid,
      attrs: { type: 'button', 'aria-label': label, title: label },
      on: { click: onClick },
    },
    icon(paths),
  )
}

const sameText = (a: ChatMessage, b: ChatMessage) =>
  a.parts
    .map((part) => (part.kind === 'text' ? part.text : ''))
    .join('')
    .trim() ===
  b.parts
    .map((part) => (part.kind === 'text' ? part.text : ''))
    .join('')
    .trim()

function formatTime(value: string): string {
  const date = new Date(value)
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** The stylesheet as a constructed sheet (allowed under a strict CSP), else a `<style>` element. */
function adoptStyles(shadow: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(widgetCss)
    shadow.adoptedStyleSheets = [sheet]
  } catch {
    shadow.append(h('style', { text: widgetCss }))
  }
}
