import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createChatModel } from '../../assistant/index.ts'
import { fixedClock } from '../../core/index.ts'
import { selectRows } from '../../db/index.ts'
import {
  createTestServices,
  createTestWorkspace,
  type TestWorkspace,
} from '../../test/support/http-fixtures.ts'
import { type ScriptedLlmServer, startScriptedLlmServer } from '../../test/support/scripted-llm-server.ts'
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts'
import { createProgram } from '../create-program.ts'
import type { CommandEnvironment } from '../runtime.ts'

/**
 * `nereid chat` in-process against the test database, with the real `@ai-sdk/openai` client talking
 * to the scripted OpenAI-compatible server over HTTP (configured through the environment, as a user
 * would), and the member's lines coming from an injected input stream (as piped stdin would).
 */
let testDatabase: TestDatabase
let llm: ScriptedLlmServer
let dataDir: string
let acme: TestWorkspace

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  llm = await startScriptedLlmServer()
  dataDir = mkdtempSync(join(tmpdir(), 'nereid-chat-'))
  acme = await createTestWorkspace({ database: testDatabase.database, slug: 'acme-cli' })
})

beforeEach(() => {
  llm.reset()
})

afterAll(async () => {
  await llm?.close()
  await testDatabase?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

interface ChatRun {
  /** Everything printed, as a terminal would show it (streamed text, lines, errors). */
  transcript: string
  /** The pieces written without a line break (prompts and streamed tokens). */
  writes: string[]
  errors: string[]
  exitCode: number
}

/** Runs `nereid <args>` with `input` lines on its input; `model: false` leaves the model unconfigured. */
async function nereid({
  args,
  input = [],
  model = true,
  onOutput,
}: {
  args: string[]
  /** Lines (all available at once, like piped input) or a stream the test writes to as it goes. */
  input?: string[] | NodeJS.ReadableStream
  model?: boolean
  /** Called with the transcript so far after each print. */
  onOutput?: (transcript: string) => void
}): Promise<ChatRun> {
  let transcript = ''
  const writes: string[] = []
  const errors: string[] = []
  let exitCode = 0
  const commandEnvironment: CommandEnvironment = {
    environment: {
      DATABASE_URL: testDatabase.url,
      NEREID_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(model
        ? { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', NEREID_CHAT_MODEL: 'scripted-model' }
        : {}),
    },
    envFile: false,
    output: {
      log: (line) => {
        transcript += `${line}\n`
        onOutput?.(transcript)
      },
      error: (line) => {
        errors.push(line)
        transcript += `${line}\n`
        onOutput?.(transcript)
      },
      write: (text) => {
        writes.push(text)
        transcript += text
        onOutput?.(transcript)
      },
    },
    clock: fixedClock(new Date('2026-03-02T09:00:00Z')),
    input: Array.isArray(input) ? Readable.from(input.map((line) => `${line}\n`)) : input,
  }
  const program = createProgram(commandEnvironment, {
    onExitCode: (code) => {
      exitCode = code
    },
  })
  program.exitOverride()
  await program.parseAsync(['node', 'nereid', ...args])
  if (process.env.SHOW_TRANSCRIPTS) console.log(`$ nereid ${args.join(' ')}\n${transcript}`)
  return { transcript, writes, errors, exitCode }
}

const asMember = ['--workspace', 'acme-cli', '--user', 'member@acme-cli.test']

const tasksTitled = async (title: string) =>
  (
    await testDatabase.database.withTenant({ workspaceId: acme.id }, (tenant) =>
      selectRows(tenant, 'SELECT id FROM tasks WHERE title = :title', { title }),
    )
  ).length

const actionsFor = (title: string) =>
  testDatabase.database.withTenant({ workspaceId: acme.id }, (tenant) =>
    selectRows<{ id: string; status: string }>(
      tenant,
      `SELECT id, status FROM pending_actions WHERE summary LIKE :pattern ORDER BY created_at`,
      { pattern: `%${title}%` },
    ),
  )

describe('nereid chat', () => {
  it('streams the answer as it arrives, in a conversation of the cli channel', async () => {
    llm.script({ text: 'Hello! Your pipeline has three open deals.' })
    const run = await nereid({ args: ['chat', ...asMember], input: ['Hi there', '/exit', 'never read'] })
    expect(run.transcript).toMatch(/Nereid chat: Workspace acme-cli as member@acme-cli\.test \(member\)/)
    expect(run.transcript).toContain('you> Hi there\nHello! Your pipeline has three open deals.\n')
    // Token by token: the answer arrived in several writes, not as one line at the end.
    const answerWrites = run.writes.filter((text) =>
      'Hello! Your pipeline has three open deals.'.includes(text),
    )
    expect(answerWrites.length).toBeGreaterThan(2)
    expect(llm.chatRequests()).toHaveLength(1)
    const conversationId = /Conversation ([0-9a-f-]{36})\./.exec(run.transcript)![1]!
    const [stored] = await testDatabase.database.withTenant({ workspaceId: acme.id }, (tenant) =>
      selectRows<{ channel: string; messages: number }>(
        tenant,
        `SELECT c.channel, (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS messages
           FROM conversations c WHERE c.id = :conversationId`,
        { conversationId },
      ),
    )
    expect(stored).toEqual({ channel: 'cli', messages: 2 })

    // One-shot: the answer, then how to continue; --conversation continues the same conversation.
    llm.script({ text: 'Still three.' })
    const again = await nereid({
      args: ['chat', ...asMember, '--conversation', conversationId, '--message', 'And now?'],
    })
    expect(again.transcript).toMatch(/^Still three\.\n/)
    expect(again.transcript).toContain(`nereid chat --conversation ${conversationId}`)
    expect(JSON.stringify(llm.chatRequests().at(-1)?.body.messages)).toContain('Hello! Your pipeline')
  })

  it('asks before a change; y runs it once and the answer continues', async () => {
    llm.script(
      { toolCalls: [{ name: 'create_task', arguments: { title: 'Call Ada about the renewal' } }] },
      { text: 'Done: the task is on your list.' },
    )
    const run = await nereid({
      args: ['chat', ...asMember],
      input: ['Remind me to call Ada about the renewal', 'y'],
    })
    expect(run.transcript).toMatch(/Approval needed: .*Call Ada about the renewal.*\nApprove\? \[y\/N\] y\n/)
    expect(run.transcript).toContain('Done: the task is on your list.')
    expect(run.transcript.indexOf('Approve?')).toBeLessThan(
      run.transcript.indexOf('the task is on your list'),
    )
    expect(await tasksTitled('Call Ada about the renewal')).toBe(1)
    expect((await actionsFor('Call Ada about the renewal')).map((action) => action.status)).toEqual([
      'executed',
    ])
    // The model saw the tool's result before it answered.
    expect(llm.chatRequests()).toHaveLength(2)
    expect(JSON.stringify(llm.chatRequests()[1]?.body.messages)).toContain('"role":"tool"')
  })

  it('asks before a change; n (or just Enter) rejects it and nothing is created', async () => {
    llm.script(
      { toolCalls: [{ name: 'create_task', arguments: { title: 'Email the whole list' } }] },
      { text: 'Understood, I will leave it.' },
    )
    const run = await nereid({
      args: ['chat', ...asMember],
      input: ['Make a task to email the whole list', 'n'],
    })
    expect(run.transcript).toMatch(/Approve\? \[y\/N\] n\n/)
    expect(run.transcript).toContain('Understood, I will leave it.')
    expect(await tasksTitled('Email the whole list')).toBe(0)
    expect((await actionsFor('Email the whole list')).map((action) => action.status)).toEqual(['rejected'])
    expect(JSON.stringify(llm.chatRequests().at(-1)?.body.messages)).toContain('Rejected by the member')
  })

  it('one-shot leaves an approval pending with how to decide it; --conversation decides it later', async () => {
    llm.script({ toolCalls: [{ name: 'create_task', arguments: { title: 'Book the venue' } }] })
    const run = await nereid({ args: ['chat', ...asMember, '--message', 'Remind me to book the venue'] })
    const [action] = await actionsFor('Book the venue')
    expect(action?.status).toBe('pending')
    expect(run.transcript).toContain(`(action ${action?.id})`)
    expect(run.transcript).toContain('POST /v1/actions/:id/approve')
    expect(run.transcript).not.toContain('Approve? [y/N]')
    expect(await tasksTitled('Book the venue')).toBe(0)

    // Piped input that ends at the question leaves it pending too.
    const conversationId = /--conversation ([0-9a-f-]{36})/.exec(run.transcript)![1]!
    const ended = await nereid({ args: ['chat', ...asMember, '--conversation', conversationId] })
    expect(ended.transcript).toMatch(/Approval needed: .*Book the venue/)
    expect(ended.transcript).toContain('POST /v1/actions/:id/approve')
    expect(await tasksTitled('Book the venue')).toBe(0)

    llm.script({ text: 'The venue task is on your list.' })
    const decided = await nereid({
      args: ['chat', ...asMember, '--conversation', conversationId],
      input: ['yes'],
    })
    expect(decided.transcript).toMatch(/Approve\? \[y\/N\] yes\n/)
    expect(decided.transcript).toContain('The venue task is on your list.')
    expect(await tasksTitled('Book the venue')).toBe(1)
  })

  it('shows the answer another process wrote when the change was decided elsewhere while it asked', async () => {
    llm.script(
      { toolCalls: [{ name: 'create_task', arguments: { title: 'Renew the domain' } }] },
      { text: 'The domain renewal is on your list.' },
    )
    const input = new PassThrough()
    let asked: () => void = () => {}
    const asking = new Promise<void>((resolve) => {
      asked = resolve
    })
    const running = nereid({
      args: ['chat', ...asMember],
      input,
      onOutput: (transcript) => {
        if (transcript.includes('Approve? [y/N] ')) asked()
      },
    })
    input.write('Remind me to renew the domain\n')
    await asking
    // A serving process hears of an approval from another channel (the API, Slack) meanwhile and
    // writes the continuation itself.
    const serving = createTestServices({
      database: testDatabase.database,
      chatModel: createChatModel({
        config: {
          openai: {
            apiKey: 'test-key',
            baseUrl: llm.url,
            chatModel: 'scripted-model',
            embeddingModel: 'unused',
          },
        },
      }),
    })
    serving.stopListening()
    const [action] = await actionsFor('Renew the domain')
    await serving.toolService.approve({
      actor: { workspaceId: acme.id, userId: acme.members.member.userId, role: 'member', channel: 'api' },
      actionId: action!.id,
    })
    await serving.chat.continueAfterDecision({ workspaceId: acme.id, actionId: action!.id })
    input.end('y\n')
    const run = await running
    expect(run.transcript).toContain("Done: Create medium task 'Renew the domain'.")
    expect(run.transcript.match(/The domain renewal is on your list\./g)).toHaveLength(1)
    expect(await tasksTitled('Renew the domain')).toBe(1)
    // One continuation, whichever process wrote it.
    expect(llm.chatRequests()).toHaveLength(2)
  })

  it('refuses an unknown conversation and a member of no workspace', async () => {
    await expect(
      nereid({ args: ['chat', ...asMember, '--conversation', crypto.randomUUID(), '--message', 'hi'] }),
    ).rejects.toThrow(/has no conversation/)
    await expect(
      nereid({ args: ['chat', '--workspace', 'acme-cli', '--user', 'nobody@else.test', '--message', 'hi'] }),
    ).rejects.toThrow(/nobody@else\.test is not a member/)
  })

  it('in search mode says so honestly and cites the passages it quotes', async () => {
    const ingested = await nereid({
      args: [
        'ingest',
        join(import.meta.dirname, '../../test/fixtures/documents/fake-text.txt'),
        '--workspace',
        'acme-cli',
      ],
      model: false,
    })
    expect(ingested.exitCode).toBe(0)
    // The only workspace is the default one: no --workspace needed.
    const run = await nereid({ args: ['chat', '--message', 'test document'], model: false })
    expect(run.transcript).toMatch(
      /^No language model is configured, so I cannot write an answer or change anything/,
    )
    expect(run.transcript).toMatch(/\nSources:\n\[1\] fake-text/)
    expect(llm.chatRequests()).toHaveLength(0)
    expect(run.exitCode).toBe(0)

    const interactive = await nereid({ args: ['chat'], input: ['test document'], model: false })
    expect(interactive.transcript).toContain('search mode: no language model is configured')
    expect(interactive.transcript).toContain('No language model is configured')
  })

  it('asks for --workspace when there are several and none is the demo', async () => {
    await createTestWorkspace({ database: testDatabase.database, slug: 'globex-cli' })
    await expect(nereid({ args: ['chat', '--message', 'hi'], model: false })).rejects.toThrow(
      /several workspaces: choose one with --workspace/,
    )
  })
})
