import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { z } from 'zod'

const postgresUrl = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        const url = new URL(value)
        return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== ''
      } catch {
        return false
      }
    },
    { message: 'expected a PostgreSQL URL like postgres://user:password@host:5432/database' },
  )

const port = (fallback: number) =>
  z.coerce
    .number({ message: 'expected an integer port number' })
    .int('expected an integer port number')
    .min(0, 'expected a port between 0 and 65535')
    .max(65535, 'expected a port between 0 and 65535')
    .default(fallback)

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional()

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url({ message: 'expected an http(s) URL' }).optional())
  .optional()

const encryptionKey = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(
    z
      .string()
      .refine((value) => decodeEncryptionKey(value)?.length === 32, {
        message: 'expected 32 random bytes, as 64 hex characters or base64 (openssl rand -base64 32)',
      })
      .optional(),
  )
  .optional()

/**
 * Every environment variable Nereid reads, validated once at startup. `.env.example` documents
 * each one; keep the two in step.
 */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().trim().min(1, 'expected a host name or address to listen on').default('127.0.0.1'),
    PORT: port(3000),
    PUBLIC_URL: optionalUrl,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: postgresUrl.optional().or(z.literal('').transform(() => undefined)),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    DATABASE_POOL_IDLE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
    NEREID_DATA_DIR: z.string().trim().min(1).default('./.nereid'),
    NEREID_EMBEDDED_PG_PORT: port(54329),
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: optionalUrl,
    NEREID_CHAT_MODEL: z.string().trim().min(1).default('gpt-4.1-mini'),
    NEREID_EMBEDDING_MODEL: z.string().trim().min(1).default('text-embedding-3-small'),
    NEREID_CHAT_MAX_STEPS: z.coerce.number().int().min(1).max(50).default(8),
    NEREID_CHAT_STEP_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    NEREID_MAX_UPLOAD_MB: z.coerce
      .number({ message: 'expected a size in megabytes' })
      .positive('expected a positive size in megabytes')
      .max(1024, 'at most 1024 MB')
      .default(25),
    NEREID_ALLOW_PRIVATE_URLS: z
      .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
      .default('false')
      .transform((value) => value === 'true' || value === '1'),
    NEREID_INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
    NEREID_HNSW_EF_SEARCH: z.coerce.number().int().min(10).max(1000).default(100),
    NEREID_HNSW_M: z.coerce.number().int().min(4).max(64).default(16),
    NEREID_HNSW_EF_CONSTRUCTION: z.coerce.number().int().min(8).max(1000).default(128),
    UNSTRUCTURED_API_URL: optionalUrl,
    UNSTRUCTURED_API_KEY: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_CLIENT_ID: optionalString,
    SLACK_CLIENT_SECRET: optionalString,
    SLACK_BOT_TOKEN: optionalString,
    SLACK_APP_TOKEN: optionalString,
    SLACK_API_URL: optionalUrl,
    SLACK_STREAMING: z.enum(['auto', 'off'], { message: 'expected auto or off' }).default('auto'),
    ENCRYPTION_KEY: encryptionKey,
  })
  .superRefine((raw, context) => {
    const issue = (variable: string, message: string) =>
      context.addIssue({ code: 'custom', path: [variable], message })
    if (raw.NEREID_HNSW_EF_CONSTRUCTION < 2 * raw.NEREID_HNSW_M)
      issue('NEREID_HNSW_EF_CONSTRUCTION', `must be at least 2 x NEREID_HNSW_M (${2 * raw.NEREID_HNSW_M})`)
    // Slack settings that only make sense together, each error naming the variable to set.
    const oauth = Boolean(raw.SLACK_CLIENT_ID || raw.SLACK_CLIENT_SECRET)
    if (raw.SLACK_CLIENT_ID && !raw.SLACK_CLIENT_SECRET)
      issue('SLACK_CLIENT_SECRET', 'required with SLACK_CLIENT_ID (multi-workspace OAuth installs)')
    if (raw.SLACK_CLIENT_SECRET && !raw.SLACK_CLIENT_ID)
      issue('SLACK_CLIENT_ID', 'required with SLACK_CLIENT_SECRET (multi-workspace OAuth installs)')
    if ((raw.SLACK_BOT_TOKEN || oauth) && !raw.SLACK_SIGNING_SECRET && !raw.SLACK_APP_TOKEN)
      issue(
        'SLACK_SIGNING_SECRET',
        'required to verify requests from Slack (or set SLACK_APP_TOKEN for Socket Mode)',
      )
    if (oauth && !raw.ENCRYPTION_KEY)
      issue('ENCRYPTION_KEY', 'required for Slack OAuth installs: bot tokens are stored encrypted with it')
    if ((raw.SLACK_SIGNING_SECRET || raw.SLACK_APP_TOKEN) && !raw.SLACK_BOT_TOKEN && !oauth)
      issue(
        'SLACK_BOT_TOKEN',
        'the Slack app needs a bot token (one workspace) or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (OAuth installs)',
      )
    if (raw.SLACK_BOT_TOKEN && !raw.SLACK_BOT_TOKEN.startsWith('xoxb-'))
      issue('SLACK_BOT_TOKEN', 'expected a bot token starting with xoxb-')
    if (raw.SLACK_APP_TOKEN && !raw.SLACK_APP_TOKEN.startsWith('xapp-'))
      issue('SLACK_APP_TOKEN', 'expected an app-level token starting with xapp- (Socket Mode)')
  })

export type RawConfig = z.output<typeof configSchema>

/** The validated configuration, in the names the code uses. */
export interface Config {
  environment: RawConfig['NODE_ENV']
  host: string
  port: number
  publicUrl: string | undefined
  logLevel: RawConfig['LOG_LEVEL']
  databaseUrl: string | undefined
  databasePoolMax: number
  /** How long an unused pooled connection stays open (then the pool closes it). */
  databasePoolIdleSeconds: number
  dataDir: string
  embeddedPostgresPort: number
  openai: {
    apiKey: string | undefined
    baseUrl: string | undefined
    chatModel: string
    embeddingModel: string
  }
  /** The assistant turn: model calls per turn (tool use included) and the timeout of each. */
  chat: { maxSteps: number; stepTimeoutMs: number }
  unstructured: { apiUrl: string | undefined; apiKey: string | undefined }
  knowledge: {
    maxUploadBytes: number
    allowPrivateUrls: boolean
    ingestConcurrency: number
    /** `hnsw.ef_search` of searches on a workspace's own index: recall against latency. */
    efSearch: number
    /** HNSW build parameters of workspaces' own indexes built from now on (`tenantHnswBuild`). */
    workspaceIndexBuild: { m: number; efConstruction: number }
  }
  slack: {
    signingSecret: string | undefined
    clientId: string | undefined
    clientSecret: string | undefined
    botToken: string | undefined
    /** Set: Socket Mode (local development); events arrive over a WebSocket instead of HTTP. */
    appToken: string | undefined
    /** The Web API base URL (default Slack's); tests point it at a local stand-in. */
    apiUrl: string | undefined
    /** Stream answers with chat.startStream/appendStream/stopStream where Slack allows it. */
    streaming: boolean
  }
  encryptionKey: Buffer | undefined
}

/** Thrown when the environment is invalid; the message lists every bad variable. */
export class ConfigError extends Error {
  readonly issues: { variable: string; message: string }[]

  constructor(issues: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${issues.map((issue) => `  - ${issue.variable}: ${issue.message}`).join('\n')}\n` +
        'Fix the environment (or .env) and start again; .env.example documents every variable.',
    )
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** Decodes ENCRYPTION_KEY (64 hex characters or base64) into bytes; undefined when unreadable. */
export function decodeEncryptionKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex')
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return Buffer.from(value, 'base64')
  return undefined
}

export interface LoadConfigOptions {
  /** The environment to read; defaults to process.env. */
  environment?: Record<string, string | undefined>
  /** A .env file to read first (its values never override the real environment). */
  envFile?: string | false
}

/**
 * Reads and validates the configuration once. Empty strings count as unset, so a `.env`
 * copied from `.env.example` works as it is.
 */
export function loadConfig({ environment = process.env, envFile = '.env' }: LoadConfigOptions = {}): Config {
  const fromFile = envFile && existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {}
  const merged: Record<string, string | undefined> = { ...fromFile }
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined) merged[name] = value
  }
  for (const [name, value] of Object.entries(merged)) {
    if (value === undefined || value.trim() === '') delete merged[name]
  }
  const result = configSchema.safeParse(merged)
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? 'environment')
        const got = merged[variable]
        const shown = got === undefined ? '' : `, got ${JSON.stringify(redactIfSecret(variable, got))}`
        return { variable, message: `${issue.message}${shown}` }
      }),
    )
  }
  const raw = result.data
  return {
    environment: raw.NODE_ENV,
    host: raw.HOST,
    port: raw.PORT,
    publicUrl: raw.PUBLIC_URL,
    logLevel: raw.LOG_LEVEL,
    databaseUrl: raw.DATABASE_URL,
    databasePoolMax: raw.DATABASE_POOL_MAX,
    databasePoolIdleSeconds: raw.DATABASE_POOL_IDLE_SECONDS,
    dataDir: resolve(raw.NEREID_DATA_DIR),
    embeddedPostgresPort: raw.NEREID_EMBEDDED_PG_PORT,
    openai: {
      apiKey: raw.OPENAI_API_KEY,
      baseUrl: raw.OPENAI_BASE_URL,
      chatModel: raw.NEREID_CHAT_MODEL,
      embeddingModel: raw.NEREID_EMBEDDING_MODEL,
    },
    chat: { maxSteps: raw.NEREID_CHAT_MAX_STEPS, stepTimeoutMs: raw.NEREID_CHAT_STEP_TIMEOUT_SECONDS * 1000 },
    unstructured: { apiUrl: raw.UNSTRUCTURED_API_URL, apiKey: raw.UNSTRUCTURED_API_KEY },
    knowledge: {
      maxUploadBytes: Math.round(raw.NEREID_MAX_UPLOAD_MB * 1024 * 1024),
      allowPrivateUrls: raw.NEREID_ALLOW_PRIVATE_URLS,
      ingestConcurrency: raw.NEREID_INGEST_CONCURRENCY,
      efSearch: raw.NEREID_HNSW_EF_SEARCH,
      workspaceIndexBuild: { m: raw.NEREID_HNSW_M, efConstruction: raw.NEREID_HNSW_EF_CONSTRUCTION },
    },
    slack: {
      signingSecret: raw.SLACK_SIGNING_SECRET,
      clientId: raw.SLACK_CLIENT_ID,
      clientSecret: raw.SLACK_CLIENT_SECRET,
      botToken: raw.SLACK_BOT_TOKEN,
      appToken: raw.SLACK_APP_TOKEN,
      apiUrl: raw.SLACK_API_URL,
      streaming: raw.SLACK_STREAMING === 'auto',
    },
    encryptionKey: raw.ENCRYPTION_KEY ? decodeEncryptionKey(raw.ENCRYPTION_KEY) : undefined,
  }
}

function redactIfSecret(variable: string, value: string): string {
  // Never echo values that may hold credentials; a URL can carry its password in many shapes.
  if (/KEY|SECRET|TOKEN|PASSWORD/.test(variable) || variable === 'DATABASE_URL') return '[redacted]'
  return value
}

/** A database URL without credentials or query (host, port, database), safe for messages and logs. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`
  } catch {
    return '(unparseable database URL)'
  }
}
