import { slackSettingsFromConfig } from '../../adapters/slack/index.ts'
import { type Config, ConfigError, createLogger, describeDatabaseUrl, loadConfig } from '../../core/index.ts'
import { openDatabase } from '../../db/index.ts'
import type { CommandEnvironment } from '../runtime.ts'

const minimumNode = [22, 12] as const

/**
 * `nereid doctor`: what is configured, what is missing and how to fix it. Returns false when Nereid
 * could not run (bad configuration, unreachable database); optional features only warn.
 */
export async function doctor({ environment, envFile, output }: CommandEnvironment): Promise<boolean> {
  let healthy = true
  const line = (label: string, text: string) => output.log(`  ${label.padEnd(16)}${text}`)
  output.log('Nereid doctor')
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const nodeOk = major > minimumNode[0] || (major === minimumNode[0] && minor >= minimumNode[1])
  line('Node.js', `${process.version} ${nodeOk ? 'ok' : `too old: Nereid needs >= ${minimumNode.join('.')}`}`)
  healthy &&= nodeOk

  let config: Config
  try {
    config = loadConfig({ environment, envFile })
    line('configuration', 'ok')
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    line('configuration', 'INVALID')
    for (const issue of error.issues) output.log(`      ${issue.variable}: ${issue.message}`)
    return false
  }

  line(
    'database',
    config.databaseUrl ? 'PostgreSQL from DATABASE_URL' : `embedded PGlite in ${config.dataDir}`,
  )
  try {
    const database = await openDatabase({ config, logger: createLogger({ level: 'silent' }) })
    try {
      const { executed, pending } = await database.migrator.status()
      line('connection', `ok (${describeDatabaseUrl(database.url)})`)
      line(
        'migrations',
        pending.length === 0
          ? `current (${executed.length} applied)`
          : `${pending.length} pending: run "nereid migrate"${database.mode === 'embedded' ? ' (or just "nereid serve")' : ''}`,
      )
    } finally {
      await database.close()
    }
  } catch (error) {
    line('connection', `FAILED: ${(error as Error).message}`)
    healthy = false
  }

  const model = config.openai.baseUrl
    ? `OpenAI-compatible server at ${config.openai.baseUrl}, chat model ${config.openai.chatModel}, embeddings ${config.openai.embeddingModel}`
    : config.openai.apiKey
      ? `OpenAI, chat model ${config.openai.chatModel}, embeddings ${config.openai.embeddingModel}`
      : undefined
  line(
    'language model',
    model ??
      'not configured: chat answers in search mode (knowledge passages, no generated text). Set OPENAI_API_KEY for OpenAI, ' +
        'or OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama) with NEREID_CHAT_MODEL and NEREID_EMBEDDING_MODEL.',
  )
  const slack = slackSettingsFromConfig(config)
  line(
    'Slack',
    slack
      ? `${slack.clientId ? 'multi-workspace OAuth (/slack/install)' : 'single workspace (SLACK_BOT_TOKEN)'}, ` +
          `${slack.appToken ? 'Socket Mode' : 'events at POST /slack/events'}; link teams with "nereid slack link"`
      : 'not configured: set SLACK_SIGNING_SECRET with SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (OAuth installs); SLACK_APP_TOKEN for Socket Mode. README "Slack" has the steps.',
  )
  line(
    'encryption key',
    config.encryptionKey
      ? 'set'
      : 'not set: needed to store Slack tokens and sign widget tokens. Generate one: openssl rand -base64 32',
  )
  line(
    'Unstructured',
    config.unstructured.apiUrl
      ? `at ${config.unstructured.apiUrl}`
      : 'not configured: the local parsers are used',
  )
  output.log(healthy ? 'Nereid can run.' : 'Nereid cannot run until the problems above are fixed.')
  return healthy
}
