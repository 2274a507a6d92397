import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, configSchema, loadConfig } from './config.ts'

/** Loads the configuration from exactly these variables (no .env, no process.env). */
function load(environment: Record<string, string | undefined>) {
  return loadConfig({ environment, envFile: false })
}

/** The ConfigError that loading these variables throws (fails the test if it does not throw). */
function configErrorFor(environment: Record<string, string | undefined>): ConfigError {
  try {
    load(environment)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(
    `expected ${JSON.stringify(Object.keys(environment))} to be rejected, but the config loaded`,
  )
}

const temporaryDirectories: string[] = []
afterEach(() => {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

function envFile(content: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'nereid-config-'))
  temporaryDirectories.push(directory)
  const path = join(directory, '.env')
  writeFileSync(path, content)
  return path
}

describe('loadConfig', () => {
  it('starts with working defaults when nothing is set', () => {
    expect(load({})).toEqual({
      environment: 'development',
      host: '127.0.0.1',
      port: 3000,
      publicUrl: undefined,
      logLevel: 'info',
      databaseUrl: undefined,
      databasePoolMax: 10,
      databasePoolIdleSeconds: 300,
      dataDir: resolve('.nereid'),
      embeddedPostgresPort: 54329,
      openai: {
        apiKey: undefined,
        baseUrl: undefined,
        chatModel: 'gpt-4.1-mini',
        embeddingModel: 'text-embedding-3-small',
      },
      chat: { maxSteps: 8, stepTimeoutMs: 60_000 },
      unstructured: { apiUrl: undefined, apiKey: undefined },
      knowledge: {
        maxUploadBytes: 25 * 1024 * 1024,
        allowPrivateUrls: false,
        ingestConcurrency: 2,
        efSearch: 100,
        workspaceIndexBuild: { m: 16, efConstruction: 128 },
      },
      slack: {
        signingSecret: undefined,
        clientId: undefined,
        clientSecret: undefined,
        botToken: undefined,
        appToken: undefined,
        apiUrl: undefined,
        streaming: true,
      },
      encryptionKey: undefined,
    })
  })

  it('reads valid values into the names the code uses', () => {
    const key = randomBytes(32)
    const config = load({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_URL: 'postgresql://nereid:pw@db.internal:5433/nereid',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      NEREID_DATA_DIR: '/var/lib/nereid',
      ENCRYPTION_KEY: key.toString('hex'),
    })
    expect(config).toMatchObject({
      environment: 'production',
      port: 8080,
      databaseUrl: 'postgresql://nereid:pw@db.internal:5433/nereid',
      openai: { baseUrl: 'http://127.0.0.1:11434/v1' },
      dataDir: '/var/lib/nereid',
    })
    expect(config.encryptionKey?.equals(key)).toBe(true)
    expect(load({ ENCRYPTION_KEY: key.toString('base64') }).encryptionKey?.equals(key)).toBe(true)
  })

  it.each(['mysql://x', 'not a url', 'postgres://', 'http://db.example.com/nereid'])(
    'rejects DATABASE_URL %j, naming it and saying what is expected',
    (value) => {
      const error = configErrorFor({ DATABASE_URL: value })
      expect(error.issues.map((issue) => issue.variable)).toEqual(['DATABASE_URL'])
      expect(error.message).toContain('DATABASE_URL')
      expect(error.message).toMatch(/PostgreSQL URL/)
      expect(error.message).toContain('postgres://')
    },
  )

  it.each(['abc', '70000', '-1', '80.5'])('rejects PORT %j, naming it', (value) => {
    const error = configErrorFor({ PORT: value })
    expect(error.issues.map((issue) => issue.variable)).toEqual(['PORT'])
    expect(error.message).toContain('PORT')
    expect(error.message).toMatch(/port/)
  })

  it.each([
    ['base64 of 16 bytes', 'c2hvcnQta2V5LXNlY3JldA=='],
    ['62 hex characters', 'ab'.repeat(31)],
    ['not an encoding at all', 'my secret passphrase!'],
  ])('rejects an ENCRYPTION_KEY that is %s without printing it', (_label, value) => {
    const error = configErrorFor({ ENCRYPTION_KEY: value })
    expect(error.issues.map((issue) => issue.variable)).toEqual(['ENCRYPTION_KEY'])
    expect(error.message).toContain('ENCRYPTION_KEY')
    expect(error.message).toMatch(/32/)
    expect(error.message).not.toContain(value)
    expect(JSON.stringify(error.issues)).not.toContain(value)
  })

  it('reports every bad variable at once', () => {
    const error = configErrorFor({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      ENCRYPTION_KEY: 'too-short',
      LOG_LEVEL: 'loud',
    })
    const variables = ['PORT', 'DATABASE_URL', 'ENCRYPTION_KEY', 'LOG_LEVEL']
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([...variables].sort())
    for (const variable of variables) expect(error.message).toContain(variable)
  })

  // A .env copied from .env.example has every variable present but empty.
  it.each(Object.keys(configSchema.shape))('treats an empty %s as unset', (variable) => {
    expect(load({ [variable]: '' })).toEqual(load({}))
  })

  it('reads an env file, and the real environment wins over it', () => {
    const path = envFile(
      [
        '# written by a test',
        'PORT=4000',
        'NEREID_CHAT_MODEL=model-from-file',
        'OPENAI_API_KEY="sk-from-file"',
        '',
      ].join('\n'),
    )
    const config = loadConfig({ environment: { PORT: '5000', OPENAI_API_KEY: undefined }, envFile: path })
    expect(config.port).toBe(5000)
    expect(config.openai.chatModel).toBe('model-from-file')
    expect(config.openai.apiKey).toBe('sk-from-file')
  })

  it('names a bad variable that came from the env file', () => {
    const path = envFile('PORT=eighty\n')
    expect(() => loadConfig({ environment: {}, envFile: path })).toThrow(/PORT/)
  })

  it('ignores an env file that does not exist', () => {
    const missing = join(tmpdir(), `nereid-missing-${randomBytes(4).toString('hex')}.env`)
    expect(loadConfig({ environment: {}, envFile: missing })).toEqual(load({}))
  })

  it.each([
    'mysql://alice:s3cretPass@db.example.com:3306/app',
    'postgres://alice:s3cretPass@/app',
    'mysql://:s3cretPass@db.example.com/app',
    'mysql://alice:p@ss-s3cretPass@db.example.com/app',
    'alice:s3cretPass@db.example.com:5432/app',
  ])('never echoes the password of a rejected DATABASE_URL (%s)', (value) => {
    const error = configErrorFor({ DATABASE_URL: value })
    expect(error.message).toContain('DATABASE_URL')
    expect(error.message).not.toContain('s3cretPass')
    expect(JSON.stringify(error.issues)).not.toContain('s3cretPass')
  })

  it('validates the knowledge settings and names them', () => {
    expect(() => loadConfig({ environment: { NEREID_MAX_UPLOAD_MB: 'lots' }, envFile: false })).toThrow(
      /NEREID_MAX_UPLOAD_MB/,
    )
    expect(() => loadConfig({ environment: { NEREID_ALLOW_PRIVATE_URLS: 'maybe' }, envFile: false })).toThrow(
      /NEREID_ALLOW_PRIVATE_URLS: expected true or false/,
    )
    expect(() => loadConfig({ environment: { NEREID_HNSW_EF_SEARCH: '5000' }, envFile: false })).toThrow(
      /NEREID_HNSW_EF_SEARCH/,
    )
    expect(() =>
      loadConfig({ environment: { NEREID_HNSW_M: '24', NEREID_HNSW_EF_CONSTRUCTION: '40' }, envFile: false }),
    ).toThrow(/NEREID_HNSW_EF_CONSTRUCTION: must be at least 2 x NEREID_HNSW_M \(48\)/)
    expect(() => loadConfig({ environment: { NEREID_HNSW_M: '1' }, envFile: false })).toThrow(/NEREID_HNSW_M/)
    const config = loadConfig({
      environment: {
        NEREID_MAX_UPLOAD_MB: '2',
        NEREID_ALLOW_PRIVATE_URLS: 'true',
        NEREID_HNSW_EF_SEARCH: '400',
        NEREID_HNSW_M: '24',
        NEREID_HNSW_EF_CONSTRUCTION: '200',
      },
      envFile: false,
    })
    expect(config.knowledge).toMatchObject({
      maxUploadBytes: 2 * 1024 * 1024,
      allowPrivateUrls: true,
      efSearch: 400,
      workspaceIndexBuild: { m: 24, efConstruction: 200 },
    })
  })
  it('reads the Slack settings and checks that they fit together, naming the variable to set', () => {
    const key = randomBytes(32).toString('hex')
    const single = load({
      SLACK_SIGNING_SECRET: 'sign',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
    })
    expect(single.slack).toMatchObject({
      botToken: 'xoxb-1',
      apiUrl: 'http://127.0.0.1:9/api/',
      streaming: true,
    })
    expect(
      load({ SLACK_APP_TOKEN: 'xapp-1', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_STREAMING: 'off' }).slack,
    ).toMatchObject({
      appToken: 'xapp-1',
      streaming: false,
    })
    const variablesOf = (environment: Record<string, string>) =>
      configErrorFor(environment).issues.map((issue) => issue.variable)
    expect(variablesOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual(['SLACK_SIGNING_SECRET'])
    expect(variablesOf({ SLACK_SIGNING_SECRET: 'sign' })).toEqual(['SLACK_BOT_TOKEN'])
    expect(variablesOf({ SLACK_SIGNING_SECRET: 'sign', SLACK_CLIENT_ID: 'id', ENCRYPTION_KEY: key })).toEqual(
      ['SLACK_CLIENT_SECRET'],
    )
    expect(
      variablesOf({ SLACK_SIGNING_SECRET: 'sign', SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'secret' }),
    ).toEqual(['ENCRYPTION_KEY'])
    expect(variablesOf({ SLACK_SIGNING_SECRET: 'sign', SLACK_BOT_TOKEN: 'xoxp-user-token' })).toEqual([
      'SLACK_BOT_TOKEN',
    ])
    expect(variablesOf({ SLACK_APP_TOKEN: 'xoxb-1', SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual(['SLACK_APP_TOKEN'])
    expect(
      configErrorFor({ SLACK_SIGNING_SECRET: 'sign', SLACK_BOT_TOKEN: 'xoxp-user-token' }).message,
    ).not.toContain('xoxp-user-token')
  })
})
