import { type Logger, pino } from 'pino'

export type { Logger } from 'pino'

/**
 * Paths that must never reach a log line: credentials in headers, keys in bodies, tokens.
 * pino replaces them with "[redacted]".
 */
export const redactedLogPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'res.headers["set-cookie"]',
  '*.apiKey',
  '*.key',
  '*.token',
  '*.password',
  '*.secret',
  'config.databaseUrl',
]

export interface CreateLoggerOptions {
  level: string
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream
}

/** Structured JSON logger (pino) with secret redaction. */
export function createLogger({ level, destination }: CreateLoggerOptions): Logger {
  const options = { level, redact: { paths: redactedLogPaths, censor: '[redacted]' } }
  return destination ? pino(options, destination) : pino(options)
}
