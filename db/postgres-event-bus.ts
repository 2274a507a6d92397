import pg from 'pg'
import { createInProcessEventBus, type EventBus, type Logger, type NereidEvent } from '../core/index.ts'

const channel = 'nereid_events'
/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
const maxPayloadBytes = 7900

/**
 * The event bus across processes: `pg_notify` to publish, one dedicated `LISTEN` connection per
 * process to receive. Every process (the publisher included) delivers an event when Postgres hands
 * it over, so all processes see the same events in the same order. Reconnects with backoff.
 */
export async function createPostgresEventBus({
  url,
  logger,
}: {
  url: string
  logger: Logger
}): Promise<EventBus> {
  const local = createInProcessEventBus()
  const publisher = new pg.Pool({ connectionString: url, max: 2 })
  let listener: pg.Client | undefined
  let closed = false
  let retryDelayMs = 250

  const connect = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url })
    client.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return
      try {
        void local.publish(JSON.parse(message.payload) as NereidEvent)
      } catch (error) {
        logger.warn({ err: error }, 'ignored a malformed event')
      }
    })
    client.on('error', (error) => {
      logger.warn({ err: error }, 'event listener connection lost; reconnecting')
      listener = undefined
      client.end().catch(() => undefined)
      scheduleReconnect()
    })
    await client.connect()
    await client.query(`LISTEN ${channel}`)
    listener = client
    retryDelayMs = 250
  }
  const scheduleReconnect = () => {
    if (closed) return
    setTimeout(() => {
      connect().catch((error: unknown) => {
        logger.warn({ err: error }, 'event listener reconnect failed')
        retryDelayMs = Math.min(retryDelayMs * 2, 10_000)
        scheduleReconnect()
      })
    }, retryDelayMs).unref()
  }
  await connect()

  return {
    async publish(event) {
      const payload = JSON.stringify(event)
      if (Buffer.byteLength(payload) > maxPayloadBytes) {
        throw new Error(
          `Event ${event.type} is too large for NOTIFY (${Buffer.byteLength(payload)} bytes); send ids, not content.`,
        )
      }
      await publisher.query('SELECT pg_notify($1, $2)', [channel, payload])
    },
    subscribe: (eventListener) => local.subscribe(eventListener),
    async close() {
      closed = true
      await listener?.end().catch(() => undefined)
      await publisher.end()
      await local.close()
    },
  }
}
