import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildWidgetScript } from '../adapters/widget/build-widget.ts'
import { demoPageHtml } from '../adapters/widget/demo-page.ts'
import { createChatModel } from '../assistant/index.ts'
import { systemClock } from '../core/index.ts'
import { fingerprintInsight, upsertInsights } from '../db/index.ts'
import { browserUnavailable, launchBrowser, type PageGlobals, screenshotPath } from './support/browser.ts'
import { createTestServices, createTestWorkspace, type TestWorkspace } from './support/http-fixtures.ts'
import { type ScriptedLlmServer, startScriptedLlmServer } from './support/scripted-llm-server.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

/**
 * The widget end to end in real Chromium: the demo page served by the app, widget.js, the token
 * endpoint, the `/v1/ws` socket and the HTTP API, with the real `@ai-sdk/openai` client talking to
 * the scripted model server. Screenshots go to test-results/widget/.
 */
let testDatabase: TestDatabase
let llm: ScriptedLlmServer
let services: ReturnType<typeof createTestServices>
let served: Awaited<ReturnType<ReturnType<typeof createTestServices>['listen']>>
let acme: TestWorkspace
let browser: Browser | undefined
let page: Page
let pageErrors: string[] = []

const fixtures = join(import.meta.dirname, 'fixtures', 'documents')
/** `expect.poll` with room for a model turn, document processing and the widget's polling. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 100 })

const api = (method: 'get' | 'post', path: string, role: keyof TestWorkspace['members'] = 'member') =>
  request(services.app)
    [method](path)
    .set('Authorization', `Bearer ${acme.apiKey}`)
    .set('X-Nereid-User', acme.members[role].email)

const taskCount = async (title: string) =>
  (await api('get', `/v1/tasks?q=${encodeURIComponent(title)}`, 'owner')).body.data.length as number

async function settled(id: string) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const response = await api('get', `/v1/knowledge/documents/${id}`)
    if (response.body.status !== 'processing') return response.body
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`document ${id} still processing`)
}

describe.skipIf(browserUnavailable !== undefined)(
  `widget in Chromium against the server${browserUnavailable ? ` (skipped: ${browserUnavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      testDatabase = await createTestDatabase()
      llm = await startScriptedLlmServer()
      acme = await createTestWorkspace({ database: testDatabase.database, slug: 'acme-browser' })
      services = createTestServices({
        database: testDatabase.database,
        clock: systemClock,
        chatModel: createChatModel({
          config: {
            openai: { apiKey: 'k', baseUrl: llm.url, chatModel: 'scripted-model', embeddingModel: 'unused' },
          },
        }),
        chatOptions: { maxRetries: 0 },
        widget: {
          script: buildWidgetScript,
          demo: {
            page: () => demoPageHtml({ workspaceName: 'Acme Browser' }),
            // The demo's "host backend": a token for the workspace's member.
            issueToken: async () =>
              services.widgetTokens.issue({ workspaceId: acme.id, userId: acme.members.member.userId }),
          },
        },
      })
      served = await services.listen()
      browser = (await launchBrowser()).browser
    })

    afterAll(async () => {
      await browser?.close()
      await served?.close()
      services?.stopListening()
      await llm?.close()
      await testDatabase?.close()
    })

    beforeEach(async () => {
      llm.reset()
      page = await browser!.newPage({ viewport: { width: 1280, height: 860 } })
      pageErrors = []
      page.on('pageerror', (error) => pageErrors.push(error.message))
      // Keeps the page's WebSockets reachable, so a test can cut the widget's connection.
      await page.addInitScript({
        content: `(() => {
          const Native = window.WebSocket
          window.__sockets = []
          window.WebSocket = class extends Native {
            constructor(...args) { super(...args); window.__sockets.push(this) }
          }
        })()`,
      })
      await page.goto(served.url)
      await page.getByTestId('launcher').click()
      await eventually(() => page.getByTestId('panel').isVisible()).toBe(true)
    })

    afterEach(async () => {
      await page?.close()
      expect(pageErrors).toEqual([])
    })

    async function say(text: string) {
      await page.getByTestId('input').fill(text)
      await page.getByTestId('input').press('Enter')
    }

    const assistantMessages = () => page.locator('[data-testid="message"][data-role="assistant"]')

    it('streams a cited answer from the knowledge base', async () => {
      const uploaded = await api('post', '/v1/knowledge/documents').attach(
        'file',
        readFileSync(join(fixtures, 'multi-column-2p.pdf')),
        'multi-column-2p.pdf',
      )
      await settled(uploaded.body.id)
      llm.script(
        {
          toolCalls: [
            { name: 'search_knowledge', arguments: { query: 'ICT pretraining computationally intensive' } },
          ],
        },
        { text: 'ICT pretraining is **computationally intensive** [1].', chunkDelayMs: 20 },
      )
      await say('Is ICT pretraining expensive?')
      const answer = assistantMessages().last()
      await eventually(() => answer.getByTestId('citation-chip').count()).toBe(1)
      await eventually(() => answer.getAttribute('data-status')).toBe('complete')
      expect(await answer.locator('strong').textContent()).toBe('computationally intensive')
      await answer.getByTestId('citation-chip').click()
      const sources = answer.getByTestId('source-list')
      expect(await sources.getByTestId('source-title').first().textContent()).toContain('multi-column-2p')
      expect(await sources.textContent()).toContain('Page 2')
      expect(await sources.getByTestId('source-snippet').first().textContent()).toContain('ICT')
      await page.screenshot({ path: screenshotPath('e2e-citations') })
    })

    it('approves a write in the card, shows the result, and undoes it', async () => {
      llm.script({ toolCalls: [{ name: 'create_task', arguments: { title: 'Call Ada from the widget' } }] })
      await say('Remind me to call Ada')
      const card = page.getByTestId('approval-card').last()
      await eventually(() => card.getAttribute('data-status')).toBe('pending')
      expect(await card.getByTestId('card-summary').textContent()).toContain('Call Ada from the widget')
      expect(await taskCount('Call Ada from the widget')).toBe(0)
      await page.screenshot({ path: screenshotPath('e2e-approval-pending') })

      llm.script({ text: 'Done: the task is on your list.' })
      await card.getByTestId('approve').click()
      await eventually(() => page.getByTestId('approval-card').last().getAttribute('data-status')).toBe(
        'executed',
      )
      expect(await taskCount('Call Ada from the widget')).toBe(1)
      await eventually(() => assistantMessages().last().textContent()).toContain(
        'Done: the task is on your list.',
      )
      await page.screenshot({ path: screenshotPath('e2e-approval-executed') })

      await page.getByTestId('approval-card').last().getByTestId('undo').click()
      await eventually(() => page.getByTestId('approval-card').last().getAttribute('data-status')).toBe(
        'undone',
      )
      expect(await taskCount('Call Ada from the widget')).toBe(0)
    })

    it('updates the card when the action is decided through the API', async () => {
      llm.script({ toolCalls: [{ name: 'create_task', arguments: { title: 'Decided elsewhere' } }] })
      await say('Make a task: decided elsewhere')
      const card = page.getByTestId('approval-card').last()
      await eventually(() => card.getAttribute('data-status')).toBe('pending')
      const actionId = await card.getAttribute('data-action-id')
      llm.script({ text: 'Understood, I left it.' })
      expect((await api('post', `/v1/actions/${actionId}/reject`)).status).toBe(200)
      await eventually(() => page.getByTestId('approval-card').last().getAttribute('data-status')).toBe(
        'rejected',
      )
      expect(await page.getByTestId('approval-card').last().getByTestId('approve').count()).toBe(0)
      expect(await taskCount('Decided elsewhere')).toBe(0)
      await page.screenshot({ path: screenshotPath('e2e-decided-elsewhere') })
    })

    it('uploads a document and shows it ready', async () => {
      await page.getByTestId('upload-input').setInputFiles(join(fixtures, 'fake-memo.pdf'))
      const status = page.getByTestId('upload-status').last()
      await eventually(() => status.getAttribute('data-state')).toBe('ready')
      const documentId = await status.getAttribute('data-document-id')
      expect((await api('get', `/v1/knowledge/documents/${documentId}`)).body.status).toBe('ready')
      await page.screenshot({ path: screenshotPath('e2e-upload') })
    })

    it('renders HTML from the model and from documents as text, never running it', async () => {
      const hostile = await api('post', '/v1/knowledge/documents').send({
        title: 'Partner FAQ <img src=x onerror="window.__xss=1">',
        text: 'Partner discounts are 15 percent. <script>window.__xss=2</script> <img src=x onerror="window.__xss=3">',
      })
      await settled(hostile.body.id)
      llm.script(
        { toolCalls: [{ name: 'search_knowledge', arguments: { query: 'partner discounts' } }] },
        {
          text: 'Partners get 15 percent [1]. <img src=x onerror="window.__xss=4"><script>window.__xss=5</script> [click](javascript:window.__xss=6)',
        },
      )
      await say('What discount do partners get?')
      const answer = assistantMessages().last()
      await eventually(() => answer.getAttribute('data-status')).toBe('complete')
      expect(await answer.textContent()).toContain('<script>window.__xss=5</script>')
      await answer.getByTestId('citation-chip').first().click()
      expect(await answer.getByTestId('source-title').first().textContent()).toContain('<img src=x')
      // (Ingestion keeps a text document's words, not its markup; the title is kept as given.)
      expect(await answer.getByTestId('source-snippet').first().textContent()).toContain('Partner discounts')
      await answer.locator('a', { hasText: 'click' }).click()
      expect(await page.locator('img, script[src="x"]').count()).toBe(0)
      expect(await answer.locator('img, script').count()).toBe(0)
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined()
      await page.screenshot({ path: screenshotPath('e2e-xss') })
    })

    it('picks an answer up again after the connection drops in the middle of it', async () => {
      const text = `${'The renewal plan has several steps. '.repeat(8)}That is all.`
      llm.script({ text, chunkDelayMs: 40 })
      await say('Walk me through the renewal plan')
      const answer = assistantMessages().last()
      await eventually(async () => ((await answer.textContent()) ?? '').length).toBeGreaterThan(40)
      await page.evaluate(() => {
        const sockets = (globalThis as unknown as { __sockets: { close(): void }[] }).__sockets
        sockets.at(-1)?.close()
      })
      // Reconnected, the widget reloads the conversation and the server replays the answer so far.
      await eventually(() => assistantMessages().last().textContent()).toContain('That is all.')
      await eventually(() => assistantMessages().last().getAttribute('data-status')).toBe('complete')
      expect(await assistantMessages().count()).toBe(1)
      expect(
        await page.evaluate(() => (globalThis as unknown as { __sockets: unknown[] }).__sockets.length),
      ).toBe(2)
      await eventually(() => page.getByTestId('connection-status').isVisible()).toBe(false)
    })

    it('shows a notification pushed to the member', async () => {
      await services.bus.publish({
        type: 'notification.created',
        workspaceId: acme.id,
        userId: acme.members.member.userId,
        notification: { id: 'insight-1', title: '3 deals have had no activity for 14 days' },
      })
      await eventually(() => page.getByTestId('notification-badge').textContent()).toBe('1')
      await page.getByTestId('notifications-button').click()
      expect(await page.getByTestId('notification-list').textContent()).toContain(
        '3 deals have had no activity',
      )
    })

    it("accepts an insight from its notification: the action waits for the member's approval", async () => {
      const member = acme.members.member
      const [raised] = await testDatabase.database.withTenant({ workspaceId: acme.id }, (tenant) =>
        upsertInsights(tenant, {
          insights: [
            fingerprintInsight({
              type: 'stale_deal',
              severity: 'warning',
              title: 'Ada Corp has had no activity for 20 days',
              body: 'Last touch on the 2nd.',
              entities: [],
              userId: member.userId,
              dedupeKey: 'browser-accept',
              suggestedAction: {
                tool: 'create_task',
                input: { title: 'Follow up with Ada Corp' },
                label: 'Create a follow-up task',
              },
            }),
          ],
          runId: randomUUID(),
          now: new Date(),
        }),
      )
      await services.bus.publish({
        type: 'notification.created',
        workspaceId: acme.id,
        userId: member.userId,
        notification: {
          id: 'insight-accept-1',
          title: 'Ada Corp has had no activity for 20 days',
          insightId: raised!.id,
          data: { type: 'stale_deal', actionLabel: 'Create a follow-up task' },
        },
      })
      await eventually(() => page.getByTestId('notification-badge').textContent()).toBe('1')
      await page.getByTestId('notifications-button').click()
      await page.getByTestId('accept-insight').click()
      await eventually(() => page.getByTestId('notification-outcome').textContent()).toBe(
        'Accepted: waiting for approval',
      )
      const accepted = await api('get', '/v1/insights?status=accepted')
      expect(accepted.body.data.map((insight: { id: string }) => insight.id)).toContain(raised!.id)
      // A member's create_task waits for approval: nothing is created until it is decided.
      expect(await taskCount('Follow up with Ada Corp')).toBe(0)
      expect(await page.getByTestId('accept-insight').count()).toBe(0)
    })
  },
)
