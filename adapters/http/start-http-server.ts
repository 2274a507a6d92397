import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'
import { AppError } from '../../core/index.ts'

export interface RunningHttpServer {
  url: string
  port: number
  /** The node server, for what shares its port (the widget's WebSocket upgrade). */
  server: Server
  close(): Promise<void>
}

/** Listens on host:port and resolves once listening; a port in use is a clear error. */
export async function startHttpServer({
  app,
  host,
  port,
}: {
  app: Express
  host: string
  port: number
}): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host)
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new AppError('unavailable', {
          message:
            error.code === 'EADDRINUSE'
              ? `Port ${port} on ${host} is already in use: stop the other process or set PORT.`
              : `Cannot listen on ${host}:${port}: ${error.message}`,
          cause: error,
        }),
      )
    })
    server.once('listening', () => {
      const address = server.address() as AddressInfo
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host
      resolve({
        url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`,
        port: address.port,
        server,
        close: () =>
          new Promise((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
