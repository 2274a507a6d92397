import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { browserUnavailable, launchBrowser, type PageGlobals, screenshotPath } from './support/browser.ts'
import {
  type FakeConnection,
  type FakeWidgetServer,
  type Json,
  startFakeWidgetServer,
} from './support/fake-widget-server.ts'

/**
 * The widget's browser client in real Chromium against a scripted stand-in server
 * (test/support/fake-widget-server.ts): rendering under hostile host CSS, streaming Markdown with
 * citations, sanitizing, approval cards, reconnects, token refresh, heartbeats, uploads,
 * notifications, keyboard use and a phone-sized viewport. The same flows against the real server
 * are in widget-browser.test.ts.
 */
/** `expect.poll` with room for the widget's one-second document polling and reconnect backoff. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 })

let browser: Browser | undefined
let server: FakeWidgetServer
let page: Page
/** Uncaught errors in the page; each test must end with none. */
let pageErrors: Error[] = []

const fixtures = join(import.meta.dirname, 'fixtures', 'documents')

describe.skipIf(browserUnavailable !== undefined)(
  `widget client in Chromium${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      const launched = await launchBrowser()
      browser = launched.browser
      server = await startFakeWidgetServer()
    })

    afterAll(async () => {
      await browser?.close()
      await server?.close()
    })

    beforeEach(async () => {
      page = await browser!.newPage({ viewport: { width: 1280, height: 800 } })
      pageErrors = []
      page.on('pageerror', (error) => pageErrors.push(error))
    })

    afterEach(async () => {
      await page?.close()
      server.onMessage = defaultOnMessage
      expect(pageErrors.map((error) => error.message)).toEqual([])
    })

    let defaultOnMessage: FakeWidgetServer['onMessage']
    beforeAll(() => {
      defaultOnMessage = server.onMessage
    })

    /** Opens the demo page (or `/page`), waits for the socket, opens the panel. */
    async function openWidget(path = '/'): Promise<FakeConnection> {
      const connected = server.nextConnection()
      await page.goto(`${server.url}${path}`)
      const connection = await connected
      await page.getByTestId('launcher').click()
      await eventually(() => page.getByTestId('panel').isVisible()).toBe(true)
      return connection
    }

    /** Types a message and sends it with Enter; resolves with the `chat` message the server got. */
    async function say(connection: FakeConnection, text: string): Promise<Json> {
      const before = connection.received.length
      await page.getByTestId('input').fill(text)
      await page.getByTestId('input').press('Enter')
      await eventually(() =>
        connection.received.slice(before).find((message) => message.type === 'chat'),
      ).toBeDefined()
      return connection.received.slice(before).find((message) => message.type === 'chat')!
    }

    const chunk = (chat: Json, body: Json) => ({
      type: 'chunk',
      chatId: chat.chatId,
      conversationId: chat.chatId,
      chunk: body,
    })

    it('stands up to hostile host CSS, streams Markdown with citations, and renders injected HTML as text', async () => {
      const connection = await openWidget()
      // The host hides every button and makes all text 30px red: none of it reaches the widget.
      expect(await page.getByTestId('launcher').isVisible()).toBe(true)
      const input = page.getByTestId('input')
      const style = await input.evaluate((element) => {
        const computed = (globalThis as unknown as PageGlobals).getComputedStyle(element)
        return { fontSize: computed.fontSize, color: computed.color }
      })
      expect(style.fontSize).toBe('14px')
      expect(style.color).not.toBe('rgb(192, 57, 43)')
      expect(await page.getByTestId('greeting').textContent()).toContain('Ask me')

      const chat = await say(connection, 'Is ICT pretraining expensive?')
      expect(chat.chatId).toMatch(/^[0-9a-f-]{36}$/)
      expect(await page.getByTestId('message').first().textContent()).toContain(
        'Is ICT pretraining expensive?',
      )
      const hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
      const send = (body: Json) => connection.send(chunk(chat, body))
      send({ type: 'start', messageId: 'answer-1' })
      send({
        type: 'tool-input-available',
        toolCallId: 'call-1',
        toolName: 'search_knowledge',
        input: { query: 'ICT' },
      })
      send({
        type: 'tool-output-available',
        toolCallId: 'call-1',
        output: {
          passages: [
            {
              ref: 1,
              title: 'multi-column-2p.pdf',
              page: 2,
              text: `ICT pretraining is computationally intensive. ${hostile}`,
            },
          ],
        },
      })
      send({
        type: 'source-document',
        sourceId: 'chunk-1',
        mediaType: 'text/plain',
        title: `multi-column-2p.pdf ${hostile}`,
        providerMetadata: { nereid: { index: 1, documentId: 'doc-1', chunkId: 'chunk-1', page: 2 } },
      })
      send({ type: 'text-start', id: 'text-1' })
      for (const delta of [
        '**ICT pre',
        'training** is expensive ',
        '[1].\n\n',
        hostile,
        ' [link](javascript:alert(1))',
      ])
        send({ type: 'text-delta', id: 'text-1', delta })
      await eventually(() => page.getByTestId('citation-chip').count()).toBe(1)
      expect(await page.getByTestId('send').isDisabled()).toBe(true)
      send({ type: 'text-end', id: 'text-1' })
      send({ type: 'finish' })

      const answer = page.locator('[data-testid="message"][data-role="assistant"]')
      await eventually(() => answer.getAttribute('data-status')).toBe('complete')
      expect(await answer.locator('strong').textContent()).toBe('ICT pretraining')
      expect(await answer.textContent()).toContain('<script>window.__xss=2</script>')
      expect(await answer.locator('script, img, [onerror]').count()).toBe(0)
      expect(await answer.locator('a[href^="javascript"]').count()).toBe(0)
      expect(await answer.getByTestId('tool-line').textContent()).toBe('Searched the knowledge base')

      await page.getByTestId('citation-chip').click()
      const sources = page.getByTestId('source-list')
      await eventually(() => sources.isVisible()).toBe(true)
      // The chip's entry is highlighted and takes the focus.
      const active = sources.locator('[data-active="true"]')
      expect(await active.getAttribute('data-index')).toBe('1')
      await eventually(() =>
        active.evaluate((element) => element === element.getRootNode().activeElement),
      ).toBe(true)
      expect(await sources.getByTestId('source-title').textContent()).toBe(`multi-column-2p.pdf ${hostile}`)
      expect(await sources.textContent()).toContain('Page 2')
      expect(await sources.getByTestId('source-snippet').textContent()).toContain('computationally intensive')
      expect(await page.locator('img').count()).toBe(0)
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined()
      await page.screenshot({ path: screenshotPath('client-citations') })
    })

    it('approves from the card, follows decisions made elsewhere, and undoes', async () => {
      const connection = await openWidget()
      const chat = await say(connection, 'Remind me to call Ada')
      const send = (body: Json) => connection.send(chunk(chat, body))
      const pendingId = '6f1c3c9e-7d1f-4c55-9d6c-1d2e3f4a5b6c'
      const otherId = '7f1c3c9e-7d1f-4c55-9d6c-1d2e3f4a5b6d'
      send({ type: 'start', messageId: 'answer-2' })
      send({
        type: 'tool-input-available',
        toolCallId: 'call-a',
        toolName: 'create_task',
        input: { title: 'Call Ada' },
      })
      send({
        type: 'tool-approval-request',
        toolCallId: 'call-a',
        approvalId: pendingId,
        reason: "Create task 'Call Ada'",
      })
      send({
        type: 'tool-input-available',
        toolCallId: 'call-b',
        toolName: 'send_campaign',
        input: { campaign: 'Launch' },
      })
      send({
        type: 'tool-approval-request',
        toolCallId: 'call-b',
        approvalId: otherId,
        reason: "Send campaign 'Launch'",
      })
      send({ type: 'finish' })

      const cards = page.getByTestId('approval-card')
      await eventually(() => cards.count()).toBe(2)
      const first = cards.nth(0)
      expect(await first.getByTestId('card-summary').textContent()).toBe("Create task 'Call Ada'")
      expect(await first.getAttribute('data-status')).toBe('pending')
      await page.screenshot({ path: screenshotPath('client-approval-pending') })

      server.onMessage = (socket, message) => {
        if (message.type === 'approve') {
          socket.send({ type: 'ack', id: message.id })
          socket.send({
            type: 'action',
            actionId: message.actionId,
            status: 'executed',
            summary: "Create task 'Call Ada'",
          })
        } else defaultOnMessage(socket, message)
      }
      await first.getByTestId('approve').click()
      await eventually(() => first.getAttribute('data-status')).toBe('executed')
      expect(connection.received.find((message) => message.type === 'approve')?.actionId).toBe(pendingId)
      expect(await first.getByTestId('card-status').textContent()).toBe('Done.')

      // Decided elsewhere (Slack, the API): the card follows the `action` message.
      connection.send({ type: 'action', actionId: otherId, status: 'rejected' })
      await eventually(() => cards.nth(1).getAttribute('data-status')).toBe('rejected')
      expect(await cards.nth(1).getByTestId('approve').count()).toBe(0)

      // Undo through the HTTP API with the widget token.
      await first.getByTestId('undo').click()
      await eventually(() => first.getAttribute('data-status')).toBe('undone')
      const undo = server.httpRequests.find((request) => request.path.endsWith('/undo'))
      expect(undo?.path).toBe(`/v1/actions/${pendingId}/undo`)
      expect(undo?.authorization).toBe(`Bearer ${connection.token}`)

      // A refused decision shows the server's reason on the card.
      send({ type: 'start', messageId: 'answer-3' })
      send({
        type: 'tool-approval-request',
        toolCallId: 'call-c',
        toolName: 'delete_deal',
        approvalId: '8f1c3c9e-7d1f-4c55-9d6c-1d2e3f4a5b6e',
        reason: 'Delete deal',
      })
      send({ type: 'finish' })
      server.onMessage = (socket, message) => {
        if (message.type === 'reject')
          socket.send({
            type: 'error',
            id: message.id,
            code: 'conflict',
            message: 'This action was already approved.',
          })
        else defaultOnMessage(socket, message)
      }
      await eventually(() => cards.count()).toBe(3)
      await cards.nth(2).getByTestId('reject').click()
      await eventually(() => cards.nth(2).getByTestId('card-error').textContent()).toBe(
        'This action was already approved.',
      )
      await page.screenshot({ path: screenshotPath('client-approval-decided') })
    })

    it('reconnects after the socket drops and reloads the open conversation', async () => {
      const connection = await openWidget()
      const chat = await say(connection, 'Hello')
      connection.send(chunk(chat, { type: 'start', messageId: 'answer-4' }))
      connection.send(chunk(chat, { type: 'text-start', id: 't' }))
      connection.send(chunk(chat, { type: 'text-delta', id: 't', delta: 'Half an ans' }))
      await eventually(() => page.locator('[data-role="assistant"][data-testid="message"]').count()).toBe(1)

      server.onMessage = (socket, message) => {
        if (message.type === 'subscribe' && message.chatId) {
          socket.send({
            type: 'conversation',
            chatId: message.chatId,
            conversationId: message.chatId,
            messages: [
              { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] },
              {
                id: 'answer-4',
                role: 'assistant',
                parts: [{ type: 'text', text: 'The whole answer, stored.' }],
              },
            ],
          })
        } else defaultOnMessage(socket, message)
      }
      const reconnected = server.nextConnection()
      connection.socket.terminate()
      const second = await reconnected
      await eventually(() => second.received.find((message) => message.type === 'subscribe')?.chatId).toBe(
        chat.chatId,
      )
      await eventually(() =>
        page.locator('[data-role="assistant"][data-testid="message"]').textContent(),
      ).toContain('The whole answer, stored.')
      expect(await page.getByTestId('message').count()).toBe(2)
      await eventually(() => page.getByTestId('connection-status').isVisible()).toBe(false)
    })

    it('refreshes its token before expiry and reconnects with the fresh one; sends heartbeats', async () => {
      server.tokenLifetimeMs = 3000
      server.page = `<!doctype html><html><body><script src="/widget.js"></script>
        <script>Nereid.init({ tokenUrl: '/demo/widget-token', pingIntervalMs: 300 })</script></body></html>`
      try {
        const tokensBefore = server.tokens.length
        const first = await openWidget('/page')
        await eventually(
          () => first.received.filter((message) => message.type === 'ping').length,
        ).toBeGreaterThan(1)
        const second = await server.nextConnection()
        expect(server.tokens.length).toBeGreaterThan(tokensBefore + 1)
        expect(second.token).not.toBe(first.token)
        expect(second.token).toBe(server.tokens.at(-1)?.token)
        // The old socket was closed by the widget, well before its token expired.
        await eventually(() => first.socket.readyState).toBe(3)
      } finally {
        server.tokenLifetimeMs = 60 * 60 * 1000
      }
    })

    it('uploads by button and by drag-and-drop, with progress and the final status', async () => {
      await openWidget()
      server.documentStatuses = [{ status: 'processing' }, { status: 'ready', chunkCount: 3 }]
      await page.getByTestId('upload-input').setInputFiles(join(fixtures, 'fake-text.txt'))
      const status = page.getByTestId('upload-status')
      await eventually(() => status.getAttribute('data-state')).toBe('ready')
      expect(await status.textContent()).toContain('fake-text.txt')
      const upload = server.httpRequests.find((request) => request.path === '/v1/knowledge/documents')
      expect(upload?.bytes).toBeGreaterThan(100)
      expect(upload?.authorization).toMatch(/^Bearer token-/)

      server.documentStatuses = [{ status: 'failed', error: 'No text found in the document.' }]
      await page.getByTestId('panel').evaluate((panel) => {
        const browser = globalThis as unknown as PageGlobals
        const transfer = new browser.DataTransfer()
        transfer.items.add(new browser.File(['   '], 'blank.txt', { type: 'text/plain' }))
        for (const type of ['dragenter', 'dragover', 'drop'])
          panel.dispatchEvent(
            new browser.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }) as Event,
          )
      })
      await eventually(() => status.nth(1).getAttribute('data-state')).toBe('failed')
      expect(await status.nth(1).textContent()).toContain('No text found in the document.')
      await page.screenshot({ path: screenshotPath('client-uploads') })
    })

    it('shows notifications with a badge, lists conversations, and is keyboard and phone friendly', async () => {
      await page.setViewportSize({ width: 375, height: 700 })
      const connection = await openWidget()
      const box = await page.getByTestId('panel').boundingBox()
      expect(box?.width).toBeLessThanOrEqual(375)
      expect(
        await page
          .getByTestId('input')
          .evaluate((element) => element === element.getRootNode().activeElement),
      ).toBe(true)

      connection.send({
        type: 'notification',
        notification: {
          id: 'n1',
          title: '3 deals have had no activity for 14 days',
          body: '<b>Globex</b> and 2 more',
        },
      })
      const badge = page.getByTestId('notification-badge')
      await eventually(() => badge.textContent()).toBe('1')
      await page.getByTestId('notifications-button').click()
      const list = page.getByTestId('notification-list')
      expect(await list.textContent()).toContain('3 deals have had no activity for 14 days')
      expect(await list.textContent()).toContain('<b>Globex</b> and 2 more')
      expect(await badge.isVisible()).toBe(false)
      await page.keyboard.press('Escape')
      expect(await list.isVisible()).toBe(false)

      server.onMessage = (socket, message) => {
        if (message.type === 'subscribe' && !message.chatId)
          socket.send({
            type: 'conversations',
            conversations: [{ id: '11111111-2222-4333-8444-555555555555', title: 'Q3 pipeline' }],
          })
        else defaultOnMessage(socket, message)
      }
      await page.getByTestId('conversations-button').click()
      await page.getByTestId('conversation-item').click()
      await eventually(() =>
        connection.received
          .filter((message) => message.type === 'subscribe')
          .map((message) => message.chatId),
      ).toContain('11111111-2222-4333-8444-555555555555')

      // Shift+Enter is a new line, Enter sends, Escape closes and gives focus back to the launcher.
      const input = page.getByTestId('input')
      await input.focus()
      await page.keyboard.type('line one')
      await page.keyboard.press('Shift+Enter')
      await page.keyboard.type('line two')
      expect(await input.inputValue()).toBe('line one\nline two')
      await page.keyboard.press('Enter')
      await eventually(() => connection.received.find((message) => message.type === 'chat')?.text).toBe(
        'line one\nline two',
      )
      await page.screenshot({ path: screenshotPath('client-phone') })
      await page.keyboard.press('Escape')
      expect(await page.getByTestId('panel').isVisible()).toBe(false)
      expect(
        await page
          .getByTestId('launcher')
          .evaluate((element) => element === element.getRootNode().activeElement),
      ).toBe(true)
      expect(await page.getByTestId('launcher').getAttribute('aria-expanded')).toBe('false')
      expect(await page.getByRole('dialog').count()).toBe(0)
    })

    it('takes theme, title, color and position from the script tag', async () => {
      server.page = `<!doctype html><html><body><script src="/widget.js" data-token-url="/demo/widget-token"
        data-theme="dark" data-title="Acme Assistant" data-primary-color="#ffcc00" data-position="bottom-left"></script></body></html>`
      await openWidget('/page')
      const dialog = page.getByRole('dialog', { name: 'Acme Assistant' })
      expect(await dialog.isVisible()).toBe(true)
      const colors = await page.getByTestId('panel').evaluate((panel) => {
        const { getComputedStyle } = globalThis as unknown as PageGlobals
        return {
          background: getComputedStyle(panel).backgroundColor,
          header: getComputedStyle(panel.querySelector('.header')).backgroundColor,
          headerText: getComputedStyle(panel.querySelector('.header')).color,
        }
      })
      expect(colors.background).toBe('rgb(22, 24, 29)')
      expect(colors.header).toBe('rgb(255, 204, 0)')
      // Dark text on a light primary color.
      expect(colors.headerText).toBe('rgb(17, 19, 24)')
      const launcher = await page.getByTestId('launcher').boundingBox()
      expect(launcher!.x).toBeLessThan(100)
      // The JS API opens and closes the same panel.
      await page.evaluate(() => (globalThis as unknown as { Nereid: { close(): void } }).Nereid.close())
      expect(await page.getByTestId('panel').isVisible()).toBe(false)
      await page.evaluate(() => (globalThis as unknown as { Nereid: { open(): void } }).Nereid.open())
      expect(await page.getByTestId('panel').isVisible()).toBe(true)
      await page.screenshot({ path: screenshotPath('client-dark') })
    })
  },
)
