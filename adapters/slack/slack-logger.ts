import { LogLevel, type Logger as SlackLogger } from '@slack/web-api'
import type { Logger } from '../../core/index.ts'

const levels: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
}

/**
 * The Slack SDKs' logger interface over Nereid's pino logger, so Bolt's and the Web API client's
 * messages are JSON lines with the rest (`component: "slack"`). Their info chatter (each request,
 * each socket ping) is demoted to debug; warnings and errors stay.
 */
export function toSlackLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack' })
  const text = (parts: unknown[]) =>
    parts
      .map((part) =>
        typeof part === 'string' ? part : part instanceof Error ? part.message : JSON.stringify(part),
      )
      .join(' ')
  return {
    debug: (...parts) => child.debug(text(parts)),
    info: (...parts) => child.debug(text(parts)),
    warn: (...parts) => child.warn(text(parts)),
    error: (...parts) => child.error(text(parts)),
    setLevel: () => {},
    getLevel: () => levels[child.level] ?? LogLevel.INFO,
    setName: () => {},
  }
}
