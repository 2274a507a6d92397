import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse, serialize } from 'pg-protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.ts'

/**
 * The embedded server multiplexes every connection onto PGlite's one Postgres session. These tests
 * speak the wire protocol directly (pg-protocol, the `pg` driver's own codec), so they can pause a
 * connection in the middle of an extended-protocol exchange, which a driver never exposes.
 */

interface RawConnection {
  send(...messages: Buffer[]): void
  /** Resolves with the next backend message of one of these names (skipping others). */
  next(...names: string[]): Promise<BackendMessage>
  close(): void
}

interface BackendMessage {
  name: string
  fields?: unknown[]
  message?: string
}

async function rawConnection(server: EmbeddedPostgres): Promise<RawConnection> {
  const socket: Socket = connect(server.port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const received: BackendMessage[] = []
  const waiting: { names: string[]; resolve: (message: BackendMessage) => void }[] = []
  void parse(socket, (message) => {
    const entry = message as unknown as BackendMessage
    const index = waiting.findIndex((waiter) => waiter.names.includes(entry.name))
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(entry)
    else received.push(entry)
  })
  const connection: RawConnection = {
    send: (...messages) => socket.write(Buffer.concat(messages)),
    next: (...names) => {
      const index = received.findIndex((message) => names.includes(message.name))
      if (index >= 0) return Promise.resolve(received.splice(index, 1)[0]!)
      return new Promise((resolve) => waiting.push({ names, resolve }))
    },
    close: () => socket.destroy(),
  }
  connection.send(serialize.startup({ user: 'postgres', database: 'postgres' }))
  await connection.next('readyForQuery')
  return connection
}

/** A parameterized query as `pg` sends it: Parse, Bind, Describe, Execute, Sync. */
function wholeExchange(text: string, values: string[]): Buffer[] {
  return [
    serialize.parse({ text }),
    serialize.bind({ values }),
    serialize.describe({ type: 'P' }),
    serialize.execute(),
    serialize.sync(),
  ]
}

describe('the embedded server', () => {
  let server: EmbeddedPostgres

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ dataDir: undefined, port: 0, maxConnections: 5 })
  })

  afterAll(async () => {
    await server?.stop()
  })

  it("keeps a connection's extended-protocol exchange whole while another connection sends its own", async () => {
    const first = await rawConnection(server)
    const second = await rawConnection(server)
    try {
      // The first connection parses and binds its query (the session's unnamed statement and
      // portal), flushes, and stops before executing it: its exchange is open.
      first.send(
        serialize.parse({ text: 'SELECT $1::text AS v' }),
        serialize.bind({ values: ['first'] }),
        serialize.flush(),
      )
      await first.next('bindComplete')
      // The second sends a whole exchange of its own, with other parameters.
      second.send(...wholeExchange('SELECT $1::text AS v', ['second']))
      // Time enough for the server to run it, if it would run it in the middle of the first.
      await sleep(300)
      first.send(serialize.describe({ type: 'P' }), serialize.execute(), serialize.sync())
      const [firstAnswer, secondAnswer] = await Promise.all([
        first.next('dataRow', 'error'),
        second.next('dataRow', 'error'),
      ])
      // Interleaved, the first's portal is gone by then: it gets an error instead of its row.
      expect({ name: firstAnswer.name, fields: firstAnswer.fields, message: firstAnswer.message }).toEqual({
        name: 'dataRow',
        fields: ['first'],
        message: undefined,
      })
      expect(secondAnswer.fields).toEqual(['second'])
    } finally {
      first.close()
      second.close()
    }
  })

  it('serves the others again when a connection leaves in the middle of a failed exchange', async () => {
    const leaving = await rawConnection(server)
    // A statement that fails to parse puts the session in "skip until Sync"; then the connection
    // goes away without its Sync.
    leaving.send(serialize.parse({ text: 'SELEKT 1' }), serialize.flush())
    expect((await leaving.next('error')).message).toContain('syntax error')
    leaving.close()
    const staying = await rawConnection(server)
    const other = await rawConnection(server)
    try {
      staying.send(serialize.query('SELECT 2 AS v'))
      expect((await staying.next('dataRow', 'error')).fields).toEqual(['2'])
      other.send(...wholeExchange('SELECT $1::int + 1 AS v', ['2']))
      expect((await other.next('dataRow', 'error')).fields).toEqual(['3'])
    } finally {
      staying.close()
      other.close()
    }
  })
})
