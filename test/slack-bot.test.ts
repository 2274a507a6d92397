import { QueryTypes } from 'sequelize'
import request from 'supertest'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { markdownToMrkdwn } from '../adapters/slack/index.ts'
import { createInstallationStore } from '../adapters/slack/installation-store.ts'
import { createTokenCipher } from '../adapters/slack/token-cipher.ts'
import { createChatModel } from '../assistant/index.ts'
import { createLogger, systemClock } from '../core/index.ts'
import {
  addMember,
  appRole,
  createWorkspace,
  findMember,
  findSlackInstallation,
  findSlackTeamLink,
  linkSlackTeam,
  listNotifications,
  saveSlackUserLink,
} from '../db/index.ts'
import { createTestServices, createTestWorkspace, type TestWorkspace } from './support/http-fixtures.ts'
import { type ScriptedLlmServer, startScriptedLlmServer } from './support/scripted-llm-server.ts'
import { createSlackRequests, type SlackRequests } from './support/slack-requests.ts'
import {
  type RecordedSlackCall,
  type SlackStandIn,
  type StandInTeam,
  startSlackStandIn,
} from './support/slack-stand-in.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

/**
 * The Slack bot end to end: signed requests from "Slack" to the real express app with Bolt, the
 * real Web API client talking to a local stand-in for Slack (test/support/slack-stand-in.ts), and
 * the real `@ai-sdk/openai` client talking to the scripted model server.
 */
const signingSecret = 'test-signing-secret'
const encryptionKey = Buffer.alloc(32, 9)

const acmeTeam: StandInTeam = {
  id: 'TACME',
  name: 'Acme Slack',
  botToken: 'xoxb-acme',
  botUserId: 'UBOTACME',
  botId: 'BACME',
  streaming: true,
}
const globexTeam: StandInTeam = {
  id: 'TGLOBEX',
  name: 'Globex Slack',
  botToken: 'xoxb-globex',
  botUserId: 'UBOTGLOBEX',
  botId: 'BGLOBEX',
  streaming: false,
}
const loneTeam: StandInTeam = {
  id: 'TLONE',
  name: 'Unlinked Slack',
  botToken: 'xoxb-lone',
  botUserId: 'UBOTLONE',
  botId: 'BLONE',
  streaming: true,
}

const users = {
  member: 'UMEMBER',
  member2: 'UMEMBER2',
  owner: 'UOWNER',
  stranger: 'USTRANGER',
  outsider: 'UOUTSIDER',
  globexMember: 'UGLOBEXMEMBER',
  globexImpostor: 'UGLOBEXIMPOSTOR',
  lone: 'ULONE',
}

let testDatabase: TestDatabase
let llm: ScriptedLlmServer
let slack: SlackStandIn
let services: ReturnType<typeof createTestServices>
let server: Awaited<ReturnType<ReturnType<typeof createTestServices>['listen']>>
let requests: SlackRequests
let acme: TestWorkspace
let globex: TestWorkspace
const logLines: Record<string, unknown>[] = []

function scriptedModel() {
  return createChatModel({
    config: {
      openai: { apiKey: 'test-key', baseUrl: llm.url, chatModel: 'scripted-model', embeddingModel: 'unused' },
    },
  })
}

const slackOptions = () => ({
  settings: {
    signingSecret,
    botToken: acmeTeam.botToken,
    clientId: 'client-id',
    clientSecret: 'client-secret',
    encryptionKey,
    apiUrl: slack.apiUrl,
    streaming: true,
  },
  timing: { updateIntervalMs: 40, appendIntervalMs: 20 },
  retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 50 },
  oauthAuthorizationUrl: slack.authorizeUrl,
  logger: createLogger({
    level: 'info',
    destination: {
      write: (line: string) => {
        logLines.push(JSON.parse(line) as Record<string, unknown>)
      },
    },
  }),
})

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  const { database } = testDatabase
  llm = await startScriptedLlmServer()
  slack = await startSlackStandIn()
  for (const team of [acmeTeam, globexTeam, loneTeam]) slack.addTeam(team)
  acme = await createTestWorkspace({ database, slug: 'acme-slack' })
  globex = await createTestWorkspace({ database, slug: 'globex-slack' })
  await database.withSystem(async (system) => {
    await addMember(system, {
      workspaceId: acme.id,
      email: 'member2@acme-slack.test',
      name: 'Second member',
      role: 'member',
    })
    await linkSlackTeam(system, { teamId: acmeTeam.id, workspaceId: acme.id, teamName: acmeTeam.name })
    await linkSlackTeam(system, { teamId: globexTeam.id, workspaceId: globex.id, teamName: globexTeam.name })
  })
  slack.addUser({
    id: users.member,
    teamId: acmeTeam.id,
    name: 'Mia Member',
    email: 'member@acme-slack.test',
  })
  slack.addUser({
    id: users.member2,
    teamId: acmeTeam.id,
    name: 'Max Second',
    email: 'MEMBER2@acme-slack.test',
  })
  slack.addUser({ id: users.owner, teamId: acmeTeam.id, name: 'Olga Owner', email: 'owner@acme-slack.test' })
  slack.addUser({
    id: users.stranger,
    teamId: acmeTeam.id,
    name: 'Sam Stranger',
    email: 'stranger@elsewhere.test',
  })
  // Someone from another organization in a shared channel, whose email names an Acme member.
  slack.addUser({
    id: users.outsider,
    teamId: 'TOTHERORG',
    name: 'Oscar Outsider',
    email: 'member@acme-slack.test',
  })
  slack.addUser({
    id: users.globexMember,
    teamId: globexTeam.id,
    name: 'Gina Globex',
    email: 'member@globex-slack.test',
  })
  // A Globex Slack user whose email is an Acme member's (and not a Globex member's).
  slack.addUser({
    id: users.globexImpostor,
    teamId: globexTeam.id,
    name: 'Ian Impostor',
    email: 'owner@acme-slack.test',
  })
  slack.addUser({ id: users.lone, teamId: loneTeam.id, name: 'Lou Lone', email: 'member@acme-slack.test' })

  // Globex and the unlinked team came through OAuth: their installations are stored encrypted.
  const installations = createInstallationStore({
    database,
    cipher: createTokenCipher({ key: encryptionKey, purpose: 'slack-installations' }),
  })
  for (const team of [globexTeam, loneTeam]) {
    await installations.storeInstallation({
      team: { id: team.id, name: team.name },
      enterprise: undefined,
      user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
      bot: { token: team.botToken, userId: team.botUserId, id: team.botId, scopes: ['chat:write'] },
      appId: 'A0NEREID',
      tokenType: 'bot',
      isEnterpriseInstall: false,
      authVersion: 'v2',
    })
  }

  services = createTestServices({
    database,
    clock: systemClock,
    chatModel: scriptedModel(),
    chatOptions: { maxRetries: 1 },
    slack: slackOptions(),
  })
  server = await services.listen()
  requests = createSlackRequests({ baseUrl: server.url, signingSecret })
})

beforeEach(() => {
  llm.reset()
  slack.reset()
  logLines.splice(0)
})

afterAll(async () => {
  await services?.slackBot?.stop()
  services?.stopListening()
  await server?.close()
  await llm?.close()
  await slack?.close()
  await testDatabase?.close()
})

const api = (workspace: TestWorkspace, role: keyof TestWorkspace['members']) => {
  const auth = <T extends request.Test>(call: T) =>
    call
      .set('Authorization', `Bearer ${workspace.apiKey}`)
      .set('X-Nereid-User', workspace.members[role].email)
  return {
    get: (path: string) => auth(request(services.app).get(path)),
    post: (path: string) => auth(request(services.app).post(path)),
  }
}

const taskCount = async (workspace: TestWorkspace, title: string) =>
  (await api(workspace, 'owner').get(`/v1/tasks?q=${encodeURIComponent(title)}`)).body.data.length

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A person writes `text` in `channel` mentioning the bot; the event reaches the server. */
async function mention({
  team = acmeTeam,
  user = users.member,
  channel,
  text,
  threadTs,
}: {
  team?: StandInTeam
  user?: string
  channel: string
  text: string
  threadTs?: string
}) {
  const full = `<@${team.botUserId}> ${text}`
  const ts = slack.userMessage({ channel, user, text: full, threadTs })
  const sent = await requests.event({
    teamId: team.id,
    event: {
      type: 'app_mention',
      user,
      text: full,
      ts,
      channel,
      event_ts: ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
  })
  return { ts, ...sent }
}

/** A plain message event (a DM, or a thread reply in a channel). */
async function message({
  team = acmeTeam,
  user = users.member,
  channel,
  channelType,
  text,
  threadTs,
  extra = {},
}: {
  team?: StandInTeam
  user?: string
  channel: string
  channelType: 'im' | 'channel'
  text: string
  threadTs?: string
  extra?: Record<string, unknown>
}) {
  const ts = slack.userMessage({ channel, user, text, threadTs })
  const sent = await requests.event({
    teamId: team.id,
    event: {
      type: 'message',
      user,
      text,
      ts,
      channel,
      channel_type: channelType,
      event_ts: ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...extra,
    },
  })
  return { ts, ...sent }
}

/** The text a streamed message ended with. */
const streamedText = (channel: string, ts: string) =>
  slack.messages.find((stored) => stored.channel === channel && stored.ts === ts)?.text

/** Waits for the `chat.stopStream` of a streamed answer in a thread; returns the stream's calls. */
async function streamedAnswer(channel: string, threadTs: string, timeoutMs = 5_000) {
  const start = await slack.waitForCall(
    'chat.startStream',
    (call) => call.args.channel === channel && call.args.thread_ts === threadTs && call.response?.ok === true,
    timeoutMs,
  )
  const ts = String(start.response.ts)
  const stop = await slack.waitForCall('chat.stopStream', (call) => call.args.ts === ts, timeoutMs)
  const appends = slack.callsTo('chat.appendStream').filter((call) => call.args.ts === ts)
  return { start, stop, appends, ts, text: streamedText(channel, ts) }
}

/** The approval card posted in a thread, with the pending action's id from its Approve button. */
async function approvalCard(channel: string, threadTs?: string) {
  const card = await slack.waitForCall(
    'chat.postMessage',
    (call) =>
      call.args.channel === channel &&
      (threadTs === undefined || call.args.thread_ts === threadTs) &&
      Array.isArray(call.args.blocks) &&
      call.args.blocks.some((block: { type: string }) => block.type === 'actions'),
  )
  const actions = card.args.blocks.find((block: { type: string }) => block.type === 'actions')
  return {
    call: card,
    ts: String(card.response.ts),
    actionId: String(actions.elements[0].value),
    text: String(card.args.text),
  }
}

const ephemeralTo = (user: string, pattern: RegExp) => (call: RecordedSlackCall) =>
  call.args.user === user && pattern.test(String(call.args.text))

describe('Slack requests', () => {
  it('refuses a bad, stale, future or missing signature with 401 and does nothing', async () => {
    const event = { type: 'app_mention', user: users.member, text: 'hi', ts: '1.000001', channel: 'CSIG' }
    const wrong = await requests.event({ teamId: acmeTeam.id, event, secret: 'not-the-secret' })
    const stale = await requests.event({
      teamId: acmeTeam.id,
      event,
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    })
    const future = await requests.event({
      teamId: acmeTeam.id,
      event,
      timestamp: Math.floor(Date.now() / 1000) + 6 * 60,
    })
    const unsigned = await fetch(`${server.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'event_callback', event }),
    })
    for (const response of [wrong.response, stale.response, future.response, unsigned]) {
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } })
    }
    await pause(200)
    expect(slack.calls).toEqual([])
    expect(llm.chatRequests()).toEqual([])
  })

  it("answers Slack's URL verification challenge", async () => {
    const rawBody = JSON.stringify({ type: 'url_verification', challenge: 'challenge-token' })
    const response = await requests.post(rawBody, 'application/json')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ challenge: 'challenge-token' })
  })

  it('acknowledges an event at once, before any work', async () => {
    llm.script({ text: 'Slow answer.', fault: { type: 'slow-first-token', delayMs: 1_000 } })
    const started = performance.now()
    const { response, ts } = await mention({ channel: 'CACK', text: 'are you there?' })
    expect(response.status).toBe(200)
    expect(performance.now() - started).toBeLessThan(500)
    await streamedAnswer('CACK', ts)
  })
})

describe('conversations', () => {
  it('answers a mention in a thread, streamed with chat.startStream / appendStream / stopStream, with citations', async () => {
    const document = await api(acme, 'member').post('/v1/knowledge/documents').send({
      title: 'Refund policy',
      text: 'Refunds are accepted within 30 days of purchase with the receipt.',
    })
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const status = (await api(acme, 'member').get(`/v1/knowledge/documents/${document.body.id}`)).body
        .status
      if (status !== 'processing') break
      await pause(50)
    }
    const answer =
      `Refunds are accepted **within 30 days** of purchase [1]. ${'Keep the receipt handy. '.repeat(12)}`.trim()
    llm.script(
      { toolCalls: [{ name: 'search_knowledge', arguments: { query: 'refund policy' } }] },
      { text: answer, chunkDelayMs: 3 },
    )
    const { response, ts } = await mention({ channel: 'CGENERAL', text: 'what is our refund policy?' })
    expect(response.status).toBe(200)

    const streamed = await streamedAnswer('CGENERAL', ts)
    // In the thread of the mention, for the person who asked.
    expect(streamed.start.args).toMatchObject({
      channel: 'CGENERAL',
      thread_ts: ts,
      recipient_user_id: users.member,
      recipient_team_id: acmeTeam.id,
    })
    expect(streamed.start.token).toBe(acmeTeam.botToken)
    // Streamed in several pieces; Slack renders the Markdown itself.
    expect(streamed.appends.length).toBeGreaterThan(0)
    expect(streamed.text).toBe(answer)
    // Cited sources as a context block under the answer.
    const context = JSON.stringify(streamed.stop.args.blocks)
    expect(context).toContain('Refund policy')
    expect(context).toContain('[1]')
    // The model saw the question without the mention.
    const question = JSON.stringify(llm.chatRequests()[0]?.body.messages)
    expect(question).toContain('what is our refund policy?')
    expect(question).not.toContain('UBOTACME')
    // A Slack conversation of the member, like any other.
    const conversations = (await api(acme, 'member').get('/v1/conversations')).body.data
    expect(conversations.map((conversation: { title: string }) => conversation.title)).toContain(
      'what is our refund policy?',
    )
  })

  it('answers a direct message in place, one message edited at most every interval, as mrkdwn, split when long', async () => {
    const paragraph = (index: number) =>
      `**Point ${index}.** ${'The pipeline looks healthy and the renewals are on track. '.repeat(6)}\n- first item\n- second item`
    const answer = Array.from({ length: 8 }, (_unused, index) => paragraph(index + 1)).join('\n\n')
    expect(answer.length).toBeGreaterThan(3_000)
    llm.script({ text: answer, chunkDelayMs: 1 })
    await message({ channel: 'DMEMBER', channelType: 'im', text: 'Give me the full pipeline summary' })

    const expected = markdownToMrkdwn(answer).replace(/\s+/g, ' ')
    const shownNow = () =>
      slack.messages
        .filter((stored) => stored.channel === 'DMEMBER' && stored.botId && !stored.deleted)
        .map((stored) => stored.text)
        .join('\n\n')
        .replace(/\s+/g, ' ')
    await slack.waitUntil(() => shownNow() === expected, 'the whole answer', 15_000)
    const posted = slack.messages.filter(
      (stored) => stored.channel === 'DMEMBER' && stored.botId && !stored.deleted,
    )
    // Top level (no thread), and split into pieces Slack shows whole.
    expect(posted.length).toBeGreaterThan(1)
    for (const stored of posted) {
      expect(stored.threadTs).toBeUndefined()
      expect(stored.text.length).toBeLessThanOrEqual(3_000)
    }
    // The placeholder became the first piece.
    const first = slack.callsTo('chat.postMessage')[0]!
    expect(first.args.text).toBe('_Thinking…_')
    expect(posted[0]!.ts).toBe(String(first.response.ts))
    // mrkdwn, nothing lost.
    const shown = posted.map((stored) => stored.text).join('\n\n')
    expect(shown).toContain('*Point 1.*')
    expect(shown).not.toContain('**')
    expect(shown).toContain('• first item')
    // Throttled: the edits while streaming are spaced by the interval (40 ms here, about 1 s in
    // production); only the final edit, when the answer is complete, goes out at once.
    const edits = slack.callsTo('chat.update')
    expect(edits.length).toBeGreaterThan(1)
    for (let index = 1; index < edits.length - 1; index += 1) {
      expect(edits[index]!.at - edits[index - 1]!.at).toBeGreaterThanOrEqual(30)
    }
  })

  it('answers a follow-up in its thread without a new mention; others in the thread need one and get the thread as context', async () => {
    llm.script({ text: 'Three deals are stuck: Acme, Initech and Umbrella.' })
    const first = await mention({ channel: 'CSALES', text: 'which deals are stuck?' })
    await streamedAnswer('CSALES', first.ts)

    llm.script({ text: 'Initech has been quiet the longest.' })
    await message({
      channel: 'CSALES',
      channelType: 'channel',
      text: 'and which one is the oldest?',
      threadTs: first.ts,
    })
    await slack.waitUntil(() => slack.callsTo('chat.stopStream').length === 2, 'the follow-up answer')
    const followUp = slack.callsTo('chat.startStream')[1]!
    expect(followUp.args.thread_ts).toBe(first.ts)
    // The same conversation: the model saw the first answer as its own.
    const history = llm.chatRequests()[1]?.body.messages as { role: string; content: unknown }[]
    expect(JSON.stringify(history.filter((entry) => entry.role === 'assistant'))).toContain(
      'Three deals are stuck',
    )

    // Someone else talking in the thread is left alone...
    await message({
      user: users.owner,
      channel: 'CSALES',
      channelType: 'channel',
      text: 'nice, thanks',
      threadTs: first.ts,
    })
    await pause(300)
    expect(slack.callsTo('chat.startStream')).toHaveLength(2)
    expect(llm.chatRequests()).toHaveLength(2)

    // ...until they mention the bot: their own conversation, with the thread as quoted context.
    llm.script({ text: 'Summary: three stuck deals, Initech oldest.' })
    await mention({ user: users.owner, channel: 'CSALES', text: 'summarize this thread', threadTs: first.ts })
    await slack.waitUntil(() => slack.callsTo('chat.stopStream').length === 3, 'the answer to the owner')
    const ownerRequest = JSON.stringify(llm.chatRequests()[2]?.body.messages)
    expect(ownerRequest).toContain('summarize this thread')
    expect(ownerRequest).toContain('<slack_thread>')
    expect(ownerRequest).toContain('Mia Member: @Nereid which deals are stuck?')
    expect(ownerRequest).toContain('Nereid (you): Three deals are stuck')
    expect(ownerRequest).toContain('Olga Owner: nice, thanks')
    expect(slack.callsTo('chat.startStream')[2]!.args).toMatchObject({
      thread_ts: first.ts,
      recipient_user_id: users.owner,
    })
    const ownerConversations = (await api(acme, 'owner').get('/v1/conversations')).body.data
    expect(ownerConversations.map((conversation: { title: string }) => conversation.title)).toContain(
      'summarize this thread',
    )
  })

  it('answers in the assistant view: greeting and suggested prompts, status while thinking, answer in the thread', async () => {
    const threadTs = slack.userMessage({ channel: 'DASSIST', user: users.member, text: '' })
    await requests.event({
      teamId: acmeTeam.id,
      event: {
        type: 'assistant_thread_started',
        assistant_thread: { user_id: users.member, channel_id: 'DASSIST', thread_ts: threadTs, context: {} },
        event_ts: threadTs,
      },
    })
    const prompts = await slack.waitForCall('assistant.threads.setSuggestedPrompts')
    expect(prompts.args).toMatchObject({ channel_id: 'DASSIST', thread_ts: threadTs })
    expect(prompts.args.prompts.length).toBeGreaterThan(0)
    expect(slack.callsTo('chat.postMessage')[0]?.args).toMatchObject({
      channel: 'DASSIST',
      thread_ts: threadTs,
    })

    llm.script({ text: 'You have two open tasks.' })
    await message({ channel: 'DASSIST', channelType: 'im', text: 'what are my tasks?', threadTs })
    const status = await slack.waitForCall('assistant.threads.setStatus')
    expect(status.args).toMatchObject({
      channel_id: 'DASSIST',
      thread_ts: threadTs,
      status: 'is thinking...',
    })
    const streamed = await streamedAnswer('DASSIST', threadTs)
    expect(streamed.text).toBe('You have two open tasks.')
  })

  it("ignores its own messages and other bots'", async () => {
    await message({ channel: 'DMEMBER', channelType: 'im', text: 'I am a bot', extra: { bot_id: 'BOTHER' } })
    await message({
      user: acmeTeam.botUserId,
      channel: 'DMEMBER',
      channelType: 'im',
      text: 'my own answer',
      extra: { bot_id: acmeTeam.botId },
    })
    await message({
      channel: 'DMEMBER',
      channelType: 'im',
      text: 'posted by an integration',
      extra: { subtype: 'bot_message' },
    })
    await pause(300)
    expect(slack.calls).toEqual([])
    expect(llm.chatRequests()).toEqual([])
  })
})

describe('Socket Mode', () => {
  it('receives events over the socket (SLACK_APP_TOKEN), acknowledges them and answers in the thread', async () => {
    slack.addAppToken('xapp-acme')
    const options = slackOptions()
    const socketServices = createTestServices({
      database: testDatabase.database,
      clock: systemClock,
      chatModel: scriptedModel(),
      slack: {
        ...options,
        settings: {
          appToken: 'xapp-acme',
          botToken: acmeTeam.botToken,
          apiUrl: slack.apiUrl,
          streaming: true,
        },
      },
    })
    expect(socketServices.slackBot?.mode).toBe('socket')
    await socketServices.slackBot!.start()
    try {
      await slack.socketConnected()
      llm.script({ text: 'Hello over the socket.' })
      const text = `<@${acmeTeam.botUserId}> ping over the socket`
      const ts = slack.userMessage({ channel: 'CSOCKET', user: users.member, text })
      const ack = await slack.sendOverSocket('events_api', {
        team_id: acmeTeam.id,
        api_app_id: 'A0NEREID',
        type: 'event_callback',
        event_id: 'EvSOCKET1',
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_mention', user: users.member, text, ts, channel: 'CSOCKET', event_ts: ts },
      })
      expect(ack.envelope_id).toBeTruthy()
      expect((await streamedAnswer('CSOCKET', ts)).text).toBe('Hello over the socket.')
    } finally {
      await socketServices.slackBot?.stop()
      socketServices.stopListening()
    }
  })
})

describe('who is talking', () => {
  it('tells an unknown Slack user how to get linked, and never answers for them', async () => {
    await mention({ user: users.stranger, channel: 'CGENERAL', text: 'show me the deals' })
    const reply = await slack.waitForCall(
      'chat.postEphemeral',
      ephemeralTo(users.stranger, /couldn't find a member/),
    )
    expect(reply.args.text).toContain('stranger@elsewhere.test')
    expect(reply.args.text).toContain('nereid user add --workspace acme-slack')
    // In a direct message the reply is a normal message.
    await message({ user: users.stranger, channel: 'DSTRANGER', channelType: 'im', text: 'hello?' })
    await slack.waitForCall('chat.postMessage', (call) => call.args.channel === 'DSTRANGER')
    expect(llm.chatRequests()).toEqual([])
  })

  it('refuses someone from another organization whose email matches a member', async () => {
    await mention({ user: users.outsider, channel: 'CSHARED', text: 'list the contacts' })
    await slack.waitForCall('chat.postEphemeral', ephemeralTo(users.outsider, /another Slack organization/))
    expect(llm.chatRequests()).toEqual([])
  })

  it('tells a team that is not linked to any workspace how to link it', async () => {
    await mention({ team: loneTeam, user: users.lone, channel: 'CLONE', text: 'hello' })
    const reply = await slack.waitForCall('chat.postEphemeral', ephemeralTo(users.lone, /isn't connected/))
    expect(reply.args.text).toContain('nereid slack link --team TLONE')
    expect(reply.token).toBe(loneTeam.botToken)
    expect(llm.chatRequests()).toEqual([])
  })
})

describe('approvals', () => {
  it('posts a card; another member is refused; the requester approves once (a double click is "already approved"); the card shows it and the thread continues', async () => {
    const title = 'Call Ada about the renewal'
    llm.script({ toolCalls: [{ name: 'create_task', arguments: { title } }] })
    const asked = await mention({ channel: 'COPS', text: 'remind me to call Ada about the renewal' })
    const card = await approvalCard('COPS', asked.ts)
    expect(card.text).toContain(title)
    expect(JSON.stringify(card.call.args.blocks)).toContain(`<@${users.member}>`)
    expect(await taskCount(acme, title)).toBe(0)

    // Another member (not an admin) clicks Approve: refused, privately; nothing runs.
    await requests.buttonClick({
      teamId: acmeTeam.id,
      userId: users.member2,
      channelId: 'COPS',
      messageTs: card.ts,
      threadTs: asked.ts,
      actionId: 'nereid_approve',
      value: card.actionId,
    })
    await slack.waitForCall('chat.postEphemeral', ephemeralTo(users.member2, /can't decide/))
    expect(await taskCount(acme, title)).toBe(0)

    // The requester double-clicks: one approval, one "already approved".
    llm.script({ text: 'Done: the task is on your list.' })
    const click = () =>
      requests.buttonClick({
        teamId: acmeTeam.id,
        userId: users.member,
        channelId: 'COPS',
        messageTs: card.ts,
        threadTs: asked.ts,
        actionId: 'nereid_approve',
        value: card.actionId,
      })
    const clicks = await Promise.all([click(), click()])
    expect(clicks.map((response) => response.status)).toEqual([200, 200])
    await slack.waitForCall(
      'chat.postEphemeral',
      ephemeralTo(users.member, /Already decided: it was already approved by member of acme-slack/),
    )
    const updated = await slack.waitForCall('chat.update', (call) => call.args.ts === card.ts)
    expect(updated.args.text).toBe(`Approved by member of acme-slack: Create medium task '${title}'`)
    expect(JSON.stringify(updated.args.blocks)).not.toContain('"actions"')
    expect(await taskCount(acme, title)).toBe(1)

    // The conversation continues in the thread, after the card.
    const continuation = await slack.waitForCall(
      'chat.startStream',
      (call) => call.args.thread_ts === asked.ts && Number(call.response.ts) > Number(card.ts),
    )
    await slack.waitForCall('chat.stopStream', (call) => call.args.ts === continuation.response.ts)
    expect(streamedText('COPS', String(continuation.response.ts))).toBe('Done: the task is on your list.')
    expect(JSON.stringify(llm.chatRequests().at(-1)?.body.messages)).toContain(title)
    // Exactly one card update, even though the decision was heard more than once.
    await pause(200)
    expect(slack.callsTo('chat.update').filter((call) => call.args.ts === card.ts)).toHaveLength(1)
  })

  it('updates the card and continues the thread when the decision is taken in the API', async () => {
    const title = 'Send the Q3 deck to Globex'
    llm.script({ toolCalls: [{ name: 'create_task', arguments: { title } }] })
    const asked = await mention({ channel: 'COPS', text: 'make a task to send the Q3 deck to Globex' })
    const card = await approvalCard('COPS', asked.ts)

    llm.script({ text: 'Created it.' })
    const approved = await api(acme, 'member').post(`/v1/actions/${card.actionId}/approve`)
    expect(approved.status).toBe(200)
    const updated = await slack.waitForCall('chat.update', (call) => call.args.ts === card.ts)
    expect(updated.args.text).toContain('Approved by member of acme-slack')
    const continuation = await slack.waitForCall(
      'chat.startStream',
      (call) => call.args.thread_ts === asked.ts && Number(call.response.ts) > Number(card.ts),
    )
    await slack.waitForCall('chat.stopStream', (call) => call.args.ts === continuation.response.ts)
    expect(streamedText('COPS', String(continuation.response.ts))).toBe('Created it.')
    // A click after the decision: "already decided", and nothing runs twice.
    await requests.buttonClick({
      teamId: acmeTeam.id,
      userId: users.member,
      channelId: 'COPS',
      messageTs: card.ts,
      threadTs: asked.ts,
      actionId: 'nereid_reject',
      value: card.actionId,
    })
    await slack.waitForCall('chat.postEphemeral', ephemeralTo(users.member, /Already decided/))
    expect(await taskCount(acme, title)).toBe(1)
  })

  it('lets a workspace admin reject from Slack', async () => {
    const title = 'Email every customer'
    llm.script({ toolCalls: [{ name: 'create_task', arguments: { title } }] })
    const asked = await mention({ channel: 'COPS', text: 'task: email every customer' })
    const card = await approvalCard('COPS', asked.ts)
    llm.script({ text: 'Understood, I left it.' })
    await requests.buttonClick({
      teamId: acmeTeam.id,
      userId: users.owner,
      channelId: 'COPS',
      messageTs: card.ts,
      threadTs: asked.ts,
      actionId: 'nereid_reject',
      value: card.actionId,
    })
    const updated = await slack.waitForCall('chat.update', (call) => call.args.ts === card.ts)
    expect(updated.args.text).toBe(`Rejected by owner of acme-slack: Create medium task '${title}'`)
    expect(await taskCount(acme, title)).toBe(0)
    const continuation = await slack.waitForCall(
      'chat.startStream',
      (call) => call.args.thread_ts === asked.ts && Number(call.response.ts) > Number(card.ts),
    )
    await slack.waitForCall('chat.stopStream', (call) => call.args.ts === continuation.response.ts)
    expect(JSON.stringify(llm.chatRequests().at(-1)?.body.messages)).toContain('Rejected')
  })
})

describe('tenant isolation', () => {
  it('a team linked to workspace A never reaches workspace B', async () => {
    // Acme has a contact and a pending action that Globex must never reach.
    const owner = {
      ...acme.members.owner,
      workspaceId: acme.id,
      role: 'owner' as const,
      channel: 'api' as const,
    }
    const created = await services.toolService.invoke({
      actor: owner,
      name: 'create_contact',
      input: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada.lovelace@acme-only.test' },
    })
    if (created.status === 'pending')
      await services.toolService.approve({ actor: owner, actionId: created.actionId })
    const acmeMember = {
      ...acme.members.member,
      workspaceId: acme.id,
      role: 'member' as const,
      channel: 'api' as const,
    }
    const pending = await services.toolService.invoke({
      actor: acmeMember,
      name: 'create_task',
      input: { title: 'Acme secret task' },
    })
    expect(pending.status).toBe('pending')

    // A Globex member clicking a (forged) button naming Acme's action: not found; nothing runs.
    await requests.buttonClick({
      teamId: globexTeam.id,
      userId: users.globexMember,
      channelId: 'CGLOBEX',
      messageTs: '1770000000.000001',
      actionId: 'nereid_approve',
      value: pending.actionId,
    })
    await slack.waitForCall('chat.postEphemeral', ephemeralTo(users.globexMember, /cannot find this request/))
    expect(await taskCount(acme, 'Acme secret task')).toBe(0)

    // A Globex question searches Globex only, with Globex's token, edited (Globex cannot stream).
    llm.script(
      { toolCalls: [{ name: 'search_contacts', arguments: { query: 'Lovelace' } }] },
      { text: 'No contact by that name here.' },
    )
    const asked = await mention({
      team: globexTeam,
      user: users.globexMember,
      channel: 'CGLOBEX',
      text: 'find Lovelace',
    })
    await slack.waitUntil(
      () =>
        slack.messages.some(
          (stored) => stored.threadTs === asked.ts && stored.text.includes('No contact by that name'),
        ),
      'the Globex answer',
    )
    expect(JSON.stringify(llm.chatRequests())).not.toContain('acme-only.test')
    expect(JSON.stringify(llm.chatRequests()[0]?.body.messages[0])).toContain('Workspace globex-slack')
    const globexCalls = slack.calls.filter((call) => call.method.startsWith('chat.'))
    expect(globexCalls.every((call) => call.token === globexTeam.botToken)).toBe(true)
    expect(slack.callsTo('chat.startStream').every((call) => call.response.ok === false)).toBe(true)

    // A Globex Slack user whose email belongs to an Acme member is no one in Globex.
    await mention({
      team: globexTeam,
      user: users.globexImpostor,
      channel: 'CGLOBEX',
      text: 'show me the Acme deals',
    })
    const refused = await slack.waitForCall(
      'chat.postEphemeral',
      ephemeralTo(users.globexImpostor, /couldn't find a member of \*Workspace globex-slack\*/),
    )
    expect(refused.token).toBe(globexTeam.botToken)
  })
})

describe('reliability', () => {
  it('answers a retried delivery (same event_id) once, also when it reaches another server process', async () => {
    llm.script({ text: 'Only once.' })
    llm.setDefault({ text: 'A second answer must never happen.' })
    const ts = slack.userMessage({
      channel: 'CRETRY',
      user: users.member,
      text: `<@${acmeTeam.botUserId}> once please`,
    })
    const event = {
      type: 'app_mention',
      user: users.member,
      text: `<@${acmeTeam.botUserId}> once please`,
      ts,
      channel: 'CRETRY',
    }
    const other = createTestServices({
      database: testDatabase.database,
      clock: systemClock,
      chatModel: scriptedModel(),
      slack: slackOptions(),
    })
    const otherServer = await other.listen()
    try {
      const otherRequests = createSlackRequests({ baseUrl: otherServer.url, signingSecret })
      const first = await requests.event({ teamId: acmeTeam.id, event, eventId: 'EvRETRY1' })
      const [retry, elsewhere] = await Promise.all([
        requests.event({ teamId: acmeTeam.id, event, eventId: 'EvRETRY1', retryNum: 1 }),
        otherRequests.event({ teamId: acmeTeam.id, event, eventId: 'EvRETRY1', retryNum: 2 }),
      ])
      expect([first, retry, elsewhere].map((sent) => sent.response.status)).toEqual([200, 200, 200])
      await streamedAnswer('CRETRY', ts)
      await pause(400)
      expect(slack.callsTo('chat.startStream')).toHaveLength(1)
      expect(llm.chatRequests()).toHaveLength(1)
      expect(logLines.some((line) => line.msg === 'duplicate Slack delivery ignored')).toBe(true)
    } finally {
      await other.slackBot?.stop()
      other.stopListening()
      await otherServer.close()
      llm.setDefault(undefined)
    }
  })

  it('waits out a rate limit (retry-after) and logs it', async () => {
    slack.fail('chat.startStream', { retryAfterSeconds: 1 })
    llm.script({ text: 'Answered after the rate limit.' })
    const { ts } = await mention({ channel: 'CRATE', text: 'quick question' })
    const streamed = await streamedAnswer('CRATE', ts, 8_000)
    expect(streamed.text).toBe('Answered after the rate limit.')
    const limited = slack.callsTo('chat.startStream').filter((call) => call.status === 429)
    expect(limited).toHaveLength(1)
    expect(
      logLines.some((line) => line.retryAfterSeconds === 1 && String(line.msg).includes('rate limited')),
    ).toBe(true)
  })

  it('logs channel_not_found and keeps serving', async () => {
    slack.removeChannel('CGONE')
    llm.script({ text: 'Nobody will read this.' })
    await mention({ channel: 'CGONE', text: 'hello?' })
    await slack.waitUntil(
      () => logLines.some((line) => line.code === 'channel_not_found'),
      'the logged failure',
    )
    llm.script({ text: 'Still here.' })
    const { ts } = await mention({ channel: 'CALIVE', text: 'are you alive?' })
    expect((await streamedAnswer('CALIVE', ts)).text).toBe('Still here.')
  })
})

describe('/nereid', () => {
  it('answers a question ephemerally through the response URL', async () => {
    llm.script({ text: 'Your pipeline holds **25 deals**.' })
    const responseUrl = slack.responseUrl()
    const response = await requests.command({
      teamId: acmeTeam.id,
      userId: users.member,
      channelId: 'CGENERAL',
      text: 'how big is our pipeline?',
      responseUrl,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ response_type: 'ephemeral', text: '_Thinking…_' })
    await slack.waitUntil(() => slack.responses.length > 0, 'the answer')
    expect(slack.responses[0]).toMatchObject({
      url: responseUrl,
      body: { response_type: 'ephemeral', replace_original: true, text: 'Your pipeline holds *25 deals*.' },
    })
  })

  it('lists the open tasks, and shows and changes autonomy', async () => {
    const tasks = slack.responseUrl()
    await requests.command({
      teamId: acmeTeam.id,
      userId: users.member,
      channelId: 'CGENERAL',
      text: 'tasks',
      responseUrl: tasks,
    })
    await slack.waitUntil(() => slack.responses.some((sent) => sent.url === tasks), 'the task list')
    const listed = slack.responses.find((sent) => sent.url === tasks)!.body.text as string
    expect(listed).toMatch(/Your open tasks \(\d+\)|no open tasks/)
    expect(listed).toContain('Call Ada about the renewal')

    const autonomy = slack.responseUrl()
    await requests.command({
      teamId: acmeTeam.id,
      userId: users.member,
      channelId: 'CGENERAL',
      text: 'autonomy create_task auto',
      responseUrl: autonomy,
    })
    await slack.waitUntil(
      () => slack.responses.some((sent) => sent.url === autonomy),
      'the autonomy settings',
    )
    expect(slack.responses.find((sent) => sent.url === autonomy)!.body.text).toContain(
      '`create_task` (tasks, write): *auto*',
    )
    const settings = (await api(acme, 'member').get('/v1/autonomy')).body
    expect(JSON.stringify(settings.preferences)).toContain('create_task')
    const reset = slack.responseUrl()
    await requests.command({
      teamId: acmeTeam.id,
      userId: users.member,
      channelId: 'CGENERAL',
      text: 'autonomy create_task default',
      responseUrl: reset,
    })
    await slack.waitUntil(() => slack.responses.some((sent) => sent.url === reset), 'the reset')
    expect(slack.responses.find((sent) => sent.url === reset)!.body.text).toContain(
      '`create_task` (tasks, write): *ask*',
    )
  })

  it('sends a change that needs approval to the direct messages, where the conversation continues', async () => {
    const title = 'Book the offsite venue'
    llm.script({ toolCalls: [{ name: 'create_task', arguments: { title } }] })
    const responseUrl = slack.responseUrl()
    await requests.command({
      teamId: acmeTeam.id,
      userId: users.member,
      channelId: 'CGENERAL',
      text: 'add a task to book the offsite venue',
      responseUrl,
    })
    const opened = await slack.waitForCall('conversations.open')
    const direct = String(opened.response.channel.id)
    const card = await approvalCard(direct)
    await slack.waitUntil(
      () => slack.responses.some((sent) => String(sent.body.text).includes('direct message')),
      'the pointer to the direct message',
    )
    llm.script({ text: 'Booked as a task.' })
    await requests.buttonClick({
      teamId: acmeTeam.id,
      userId: users.member,
      channelId: direct,
      messageTs: card.ts,
      actionId: 'nereid_approve',
      value: card.actionId,
    })
    const continuation = await slack.waitForCall('chat.startStream', (call) => call.args.channel === direct)
    expect(continuation.args.thread_ts).toBe(card.ts)
    await slack.waitForCall('chat.stopStream', (call) => call.args.ts === continuation.response.ts)
    expect(streamedText(direct, String(continuation.response.ts))).toBe('Booked as a task.')
    expect(await taskCount(acme, title)).toBe(1)
  })
})

describe('notifications', () => {
  it('delivers a notification as a direct message to the member it is for, and skips members never seen in Slack', async () => {
    const notification = (userId: string) => ({
      id: crypto.randomUUID(),
      userId,
      kind: 'insight' as const,
      title: 'Deals going quiet',
      body: '3 deals have had no activity for 14 days.',
      insightId: null,
      data: {},
      pushedTo: ['widget' as const, 'slack' as const],
      readAt: null,
      createdAt: new Date(),
    })
    await services.slackBot!.notificationSender.send({
      workspaceId: acme.id,
      notification: notification(acme.members.member.userId),
    })
    const opened = await slack.waitForCall('conversations.open')
    expect(opened.args.users).toBe(users.member)
    const posted = slack
      .callsTo('chat.postMessage')
      .find((call) => call.args.channel === opened.response.channel.id)
    expect(posted?.args.text).toContain('Deals going quiet')
    expect(posted?.token).toBe(acmeTeam.botToken)

    slack.reset()
    await services.slackBot!.notificationSender.send({
      workspaceId: acme.id,
      notification: notification(acme.members.admin.userId),
    })
    expect(slack.calls).toEqual([])
  })
})

describe('insight messages', () => {
  /** Raises an overdue-task insight for `role` and returns its notification (with the insight id). */
  async function raiseOverdueInsight(role: 'member' | 'member2' | 'owner', title: string) {
    const { database } = testDatabase
    const userId =
      role === 'member2'
        ? (await database.withTenant({ workspaceId: acme.id }, (tenant) =>
            findMember(tenant, { idOrEmail: 'member2@acme-slack.test' }),
          ))!.userId
        : acme.members[role].userId
    // As if the member had already talked to the bot: notifications go to members seen in Slack.
    await database.withTenant({ workspaceId: acme.id }, (tenant) =>
      saveSlackUserLink(tenant, {
        teamId: acmeTeam.id,
        slackUserId: users[role],
        userId,
        email: role === 'member2' ? 'member2@acme-slack.test' : acme.members[role].email,
        checkedAt: new Date(),
      }),
    )
    await database.withTenant({ workspaceId: acme.id }, (tenant) =>
      tenant.models.Task.create(
        {
          title,
          status: 'todo',
          priority: 'medium',
          dueAt: new Date(Date.now() - 3 * 86_400_000),
          assigneeId: userId,
        },
        { transaction: tenant.transaction },
      ),
    )
    await services.insights.runInsights({ workspaceId: acme.id })
    const notifications = await database.withTenant({ workspaceId: acme.id, userId }, (tenant) =>
      listNotifications(tenant, { userId, limit: 50, offset: 0 }),
    )
    const notification = notifications.find((row) => row.kind === 'insight' && row.body.includes(title))
    expect(notification?.insightId).toEqual(expect.any(String))
    return notification!
  }

  async function deliver(notification: Awaited<ReturnType<typeof raiseOverdueInsight>>) {
    slack.reset()
    await services.slackBot!.notificationSender.send({ workspaceId: acme.id, notification })
    const posted = await slack.waitForCall('chat.postMessage', (call) =>
      String(call.args.text).includes(notification.title),
    )
    return { channel: String(posted.args.channel), ts: String(posted.response.ts), posted }
  }

  /** `user` clicks the button `actionId` of the insight message `ts`. */
  const click = ({
    user,
    channel,
    ts,
    actionId,
    insightId,
  }: {
    user: string
    channel: string
    ts: string
    actionId: string
    insightId: string
  }) =>
    requests.buttonClick({
      teamId: acmeTeam.id,
      userId: user,
      channelId: channel,
      messageTs: ts,
      actionId,
      value: insightId,
    })

  const buttonsOf = (call: RecordedSlackCall) =>
    (
      (call.args.blocks ?? []) as {
        type: string
        elements?: { action_id: string; value: string; text: { text: string } }[]
      }[]
    )
      .filter((block) => block.type === 'actions')
      .flatMap((block) => block.elements ?? [])

  const insightStatus = async (id: string) => {
    const [row] = await testDatabase.database.withTenant({ workspaceId: acme.id }, (tenant) =>
      tenant.sequelize.query<{ status: string }>('SELECT status FROM proactive_insights WHERE id = :id', {
        replacements: { id },
        transaction: tenant.transaction,
        type: QueryTypes.SELECT,
      }),
    )
    return row?.status
  }

  it('offers the suggested action as a button; accepting it makes the change wait for approval, under the message', async () => {
    const notification = await raiseOverdueInsight('member', 'Renew the Initrode contract')
    const { channel, ts, posted } = await deliver(notification)
    const buttons = buttonsOf(posted)
    expect(buttons.map((button) => button.action_id)).toEqual([
      'nereid_insight_accept',
      'nereid_insight_dismiss',
    ])
    expect(buttons[0]!.text.text).toBe('Move "Renew the Initrode contract" to tomorrow')
    expect(buttons[0]!.value).toBe(notification.insightId)
    const acceptAs = (user: string) =>
      click({ user, channel, ts, actionId: 'nereid_insight_accept', insightId: notification.insightId! })

    // Someone else in the workspace (a forwarded message, a forged value) cannot decide it.
    await acceptAs(users.member2)
    const refused = await slack.waitForCall('chat.postMessage', (call) => call.args.thread_ts === ts)
    expect(refused.args.text).toContain('cannot find this insight')
    expect(await insightStatus(notification.insightId!)).toBe('open')

    slack.reset()
    await acceptAs(users.member)
    const card = await slack.waitForCall(
      'chat.postMessage',
      (call) =>
        call.args.thread_ts === ts && buttonsOf(call).some((button) => button.action_id === 'nereid_approve'),
    )
    expect(String(card.args.text)).toContain('Renew the Initrode contract')
    const updated = await slack.waitForCall('chat.update', (call) => call.args.ts === ts)
    expect(JSON.stringify(updated.args.blocks)).toContain('waiting for approval')
    expect(buttonsOf(updated)).toEqual([])
    expect(await insightStatus(notification.insightId!)).toBe('accepted')

    // A second click: already decided, said so; nothing runs twice.
    slack.reset()
    await acceptAs(users.member)
    const again = await slack.waitForCall('chat.postMessage', (call) => call.args.thread_ts === ts)
    expect(again.args.text).toBe('The insight is accepted; it cannot be accepted.')
    expect(slack.callsTo('chat.postMessage').filter((call) => buttonsOf(call).length > 0)).toEqual([])
  })

  it('says why when the suggested action cannot run, and leaves the insight open', async () => {
    const notification = await raiseOverdueInsight('member2', 'Call back Vandelay')
    const { channel, ts } = await deliver(notification)
    await testDatabase.database.withTenant({ workspaceId: acme.id }, (tenant) =>
      tenant.models.Task.destroy({ where: { title: 'Call back Vandelay' }, transaction: tenant.transaction }),
    )
    await click({
      user: users.member2,
      channel,
      ts,
      actionId: 'nereid_insight_accept',
      insightId: notification.insightId!,
    })
    const told = await slack.waitForCall('chat.postMessage', (call) => call.args.thread_ts === ts)
    expect(told.args.text).toMatch(/^The suggested action could not run: No task /)
    expect(told.args.text).not.toContain('cannot find this insight')
    expect(await insightStatus(notification.insightId!)).toBe('open')
  })

  it('dismisses an insight from its message', async () => {
    const notification = await raiseOverdueInsight('owner', 'File the quarterly report')
    const { channel, ts } = await deliver(notification)
    await click({
      user: users.owner,
      channel,
      ts,
      actionId: 'nereid_insight_dismiss',
      insightId: notification.insightId!,
    })
    const updated = await slack.waitForCall('chat.update', (call) => call.args.ts === ts)
    expect(JSON.stringify(updated.args.blocks)).toContain('Dismissed')
    expect(await insightStatus(notification.insightId!)).toBe('dismissed')
  })
})

describe('installation', () => {
  it('installs through OAuth from a signed link, stores the token encrypted and links the team', async () => {
    const { database } = testDatabase
    const initech = await database.withSystem((system) =>
      createWorkspace(system, { name: 'Initech', slug: 'initech' }),
    )
    await database.withSystem((system) =>
      addMember(system, {
        workspaceId: initech.id,
        email: 'peter@initech.test',
        name: 'Peter',
        role: 'member',
      }),
    )
    const initechTeam: StandInTeam = {
      id: 'TINITECH',
      name: 'Initech Slack',
      botToken: 'xoxb-initech-secret',
      botUserId: 'UBOTINITECH',
      botId: 'BINITECH',
      streaming: true,
    }
    slack.addTeam(initechTeam)
    slack.addUser({ id: 'UPETER', teamId: 'TINITECH', name: 'Peter Gibbons', email: 'peter@initech.test' })

    const badLink = await fetch(`${server.url}/slack/install?link=forged.token`, { redirect: 'manual' })
    expect(badLink.status).toBe(400)

    const link = services.slackBot!.installLinks!.issue({ workspaceId: initech.id })
    const install = await fetch(`${server.url}/slack/install?link=${encodeURIComponent(link)}`, {
      redirect: 'manual',
    })
    expect(install.status).toBe(302)
    const consent = new URL(install.headers.get('location')!)
    expect(`${consent.origin}${consent.pathname}`).toBe(slack.authorizeUrl)
    expect(consent.searchParams.get('client_id')).toBe('client-id')
    expect(consent.searchParams.get('scope')).toContain('users:read.email')
    const state = consent.searchParams.get('state')!
    const cookie = install.headers.get('set-cookie')!.split(';')[0]!

    slack.oauthCode('code-1', 'TINITECH', 'UPETER')
    const callback = await fetch(
      `${server.url}/slack/oauth_redirect?code=code-1&state=${encodeURIComponent(state)}`,
      {
        headers: { cookie },
      },
    )
    expect(callback.status).toBe(200)
    expect(await callback.text()).toContain('linked to the Nereid workspace')

    const stored = await database.withSystem((system) =>
      findSlackInstallation(system, { installationKey: 'TINITECH' }),
    )
    expect(stored).toMatchObject({ teamId: 'TINITECH', botUserId: 'UBOTINITECH', revokedAt: null })
    expect(stored!.secret).toMatch(/^v1:/)
    expect(stored!.secret).not.toContain('xoxb-initech-secret')
    expect(Buffer.from(stored!.secret.slice(3), 'base64').toString('latin1')).not.toContain('xoxb-initech')
    const linked = await database.withSystem((system) => findSlackTeamLink(system, { teamId: 'TINITECH' }))
    expect(linked?.workspaceId).toBe(initech.id)

    // The new team is served with its own token.
    llm.script({ text: 'Hello Initech.' })
    const { ts } = await mention({ team: initechTeam, user: 'UPETER', channel: 'CINITECH', text: 'hi' })
    const streamed = await streamedAnswer('CINITECH', ts)
    expect(streamed.start.token).toBe('xoxb-initech-secret')
    expect(streamed.text).toBe('Hello Initech.')
  })

  it('keeps the installation tables away from the app role', async () => {
    const [row] = await testDatabase.database.withSystem(
      async (system) =>
        (await system.sequelize.query(
          `SELECT has_table_privilege(:role, 'slack_installations', 'SELECT, INSERT, UPDATE, DELETE') AS installations,
                  has_table_privilege(:role, 'slack_event_receipts', 'SELECT, INSERT, UPDATE, DELETE') AS receipts`,
          { replacements: { role: appRole }, transaction: system.transaction, type: 'SELECT' as never },
        )) as unknown as { installations: boolean; receipts: boolean }[],
    )
    expect(row).toEqual({ installations: false, receipts: false })
  })

  it('stops using a revoked token: logged, installation marked revoked, no crash', async () => {
    slack.revokeToken(globexTeam.botToken)
    await mention({ team: globexTeam, user: users.globexMember, channel: 'CGLOBEX', text: 'are you there?' })
    await slack.waitUntil(
      () => logLines.some((line) => String(line.msg).includes('revoked')),
      'the logged revocation',
    )
    const stored = await testDatabase.database.withSystem((system) =>
      findSlackInstallation(system, { installationKey: globexTeam.id }),
    )
    expect(stored?.revokedAt).toBeInstanceOf(Date)
    // Later deliveries for that team are acknowledged and dropped.
    slack.reset()
    const later = await mention({
      team: globexTeam,
      user: users.globexMember,
      channel: 'CGLOBEX',
      text: 'still?',
    })
    expect(later.response.status).toBe(200)
    await pause(200)
    expect(slack.calls).toEqual([])
    // Everyone else is still served.
    llm.script({ text: 'Acme is fine.' })
    const { ts } = await mention({ channel: 'CAFTER', text: 'and you?' })
    expect((await streamedAnswer('CAFTER', ts)).text).toBe('Acme is fine.')
  })
})
