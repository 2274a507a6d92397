import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { AppError, type Logger } from '../core/index.ts'

export interface EmbeddedPostgres {
  /** A postgres:// URL that `pg`, Sequelize and `psql` can use. */
  url: string
  port: number
  /** Where the data lives; undefined for an in-memory database (tests). */
  dataDir: string | undefined
  stop(): Promise<void>
}

export interface StartEmbeddedPostgresOptions {
  /** Directory for the data (created if missing); undefined keeps everything in memory. */
  dataDir: string | undefined
  /** Loopback port to serve on; 0 picks a free one. */
  port: number
  /** Simultaneous client connections the socket server accepts (pool + psql + workers). */
  maxConnections: number
  logger?: Logger
}

/**
 * Starts PGlite (Postgres compiled to WebAssembly, with pgvector) and serves it over the Postgres
 * wire protocol on 127.0.0.1, so the rest of Nereid talks to it exactly as to a real server.
 *
 * PGlite is a single Postgres session: the socket server queues statements from all connections
 * and makes the others wait while one is inside a transaction or an extended-protocol exchange
 * (see `withExclusiveExchanges`). Keep transactions short.
 *
 * A lock file stops a second process from opening the same data directory, which would corrupt it.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port,
  maxConnections,
  logger,
}: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const lockFile = dataDir ? acquireDataDirLock(dataDir) : undefined
  let database: PGlite | undefined
  try {
    database = await PGlite.create({
      ...(dataDir ? { dataDir: join(dataDir, 'pgdata') } : {}),
      extensions: { vector },
    })
    const server = new PGLiteSocketServer({
      db: withExclusiveExchanges(database),
      host: '127.0.0.1',
      port,
      maxConnections,
    })
    try {
      await server.start()
    } catch (error) {
      throw new AppError('unavailable', {
        message:
          `The embedded database could not listen on 127.0.0.1:${port} (${(error as Error).message}). ` +
          'Another process probably uses that port: stop it, or set NEREID_EMBEDDED_PG_PORT to a free port (0 picks one).',
        cause: error,
      })
    }
    const actualPort = Number(server.getServerConn().split(':').at(-1))
    if (lockFile) writeFileSync(lockFile, JSON.stringify({ pid: process.pid, port: actualPort }))
    logger?.debug({ port: actualPort, dataDir }, 'embedded postgres listening')
    const openedDatabase = database
    return {
      url: `postgres://postgres@127.0.0.1:${actualPort}/postgres?sslmode=disable`,
      port: actualPort,
      dataDir,
      async stop() {
        await server.stop()
        await openedDatabase.close()
        if (lockFile) rmSync(lockFile, { force: true })
      },
    }
  } catch (error) {
    await database?.close().catch(() => undefined)
    if (lockFile) rmSync(lockFile, { force: true })
    throw error
  }
}

/**
 * The embedded server another live Nereid process serves for this data directory, if any. CLI
 * commands use it to work on the same data while `nereid serve` runs, instead of opening (and
 * corrupting) the directory twice.
 */
export function findRunningEmbeddedPostgres(dataDir: string): { pid: number; url: string } | undefined {
  const holder = readLock(join(dataDir, lockFileName))
  if (!holder || holder.pid === process.pid || !isProcessAlive(holder.pid) || !holder.port) return undefined
  return { pid: holder.pid, url: `postgres://postgres@127.0.0.1:${holder.port}/postgres?sslmode=disable` }
}

const lockFileName = 'nereid.lock'

function readLock(lockFile: string): { pid: number; port: number | undefined } | undefined {
  try {
    const content = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: unknown; port?: unknown }
    if (typeof content.pid !== 'number') return undefined
    return { pid: content.pid, port: typeof content.port === 'number' ? content.port : undefined }
  } catch {
    return undefined
  }
}

function acquireDataDirLock(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true })
  const lockFile = join(dataDir, lockFileName)
  try {
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid }), { flag: 'wx' })
    return lockFile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const holder = readLock(lockFile)
  if (holder && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
    throw new AppError('unavailable', {
      message: `The embedded database in ${dataDir} is in use by process ${holder.pid}. Stop it first, or set NEREID_DATA_DIR to another directory.`,
    })
  }
  writeFileSync(lockFile, JSON.stringify({ pid: process.pid }))
  return lockFile
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Frontend messages of the extended query protocol that open (or continue) an exchange ended by Sync. */
const extendedProtocolMessages = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((type) => type.charCodeAt(0)))
/** Sync ends an exchange; a simple Query is a whole exchange of its own. */
const exchangeEndingMessages = new Set(['S', 'Q'].map((type) => type.charCodeAt(0)))

/**
 * PGlite as the socket server should see it. The server queues every protocol message of every
 * connection and runs them one by one on PGlite's single session, keeping a connection's messages
 * together only while a transaction is open. An extended-protocol exchange outside a transaction
 * (Parse, Bind, Describe, Execute, then Sync: what `pg` sends for every query with parameters, as
 * pg-boss's are) could therefore be interleaved with another connection's: both use the session's
 * one unnamed statement and portal, so a query could run with the other's parameters or return the
 * other's rows. Observed: on every first start, pg-boss's lookup of a queue that existed found
 * nothing ("Queue insights-digest does not exist"). Here an open exchange counts as a transaction
 * until its Sync (or a simple Query), so the server serves that connection alone until then. When
 * a connection leaves mid-exchange the server rolls back through `exec`, which ends the exchange.
 */
function withExclusiveExchanges(database: PGlite): PGlite {
  let exchangeOpen = false
  return new Proxy(database, {
    get(target, property) {
      if (property === 'isInTransaction') return () => exchangeOpen || target.isInTransaction()
      if (property === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          const type = message[0] ?? 0
          if (extendedProtocolMessages.has(type)) exchangeOpen = true
          else if (exchangeEndingMessages.has(type)) exchangeOpen = false
          return target.execProtocolRawStream(message, options)
        }
      }
      if (property === 'exec') {
        // The server rolls back for a connection that left mid-transaction; its exchange is over too.
        return (query: string, options?: Parameters<PGlite['exec']>[1]) => {
          exchangeOpen = false
          return target.exec(query, options)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
