export { AppError, type AppErrorOptions, type ErrorCode, errorStatusByCode, isAppError } from './app-error.ts'
export { type Clock, fixedClock, systemClock } from './clock.ts'
export {
  type Config,
  ConfigError,
  configSchema,
  decodeEncryptionKey,
  describeDatabaseUrl,
  type LoadConfigOptions,
  loadConfig,
} from './config.ts'
export { createInProcessEventBus, type EventBus, type EventListener, type NereidEvent } from './event-bus.ts'
export { type IdGenerator, randomIds } from './ids.ts'
export { type CreateLoggerOptions, createLogger, type Logger, redactedLogPaths } from './logger.ts'
export { mapConcurrently } from './map-concurrently.ts'
