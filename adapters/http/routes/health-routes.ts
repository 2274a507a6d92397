import { Router } from 'express'
import { AppError } from '../../../core/index.ts'
import type { Database } from '../../../db/index.ts'

/** `/healthz`: the process is alive. `/readyz`: the database answers and no migration is pending. */
export function createHealthRoutes({ database }: { database: Database }): Router {
  const router = Router()
  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' })
  })
  router.get('/readyz', async (_request, response) => {
    try {
      await database.ping()
    } catch (error) {
      throw new AppError('unavailable', { message: 'The database is not reachable.', cause: error })
    }
    const { pending } = await database.migrator.status()
    if (pending.length > 0) {
      throw new AppError('unavailable', {
        message: `${pending.length} database migration(s) pending (${pending.join(', ')}); run "nereid migrate".`,
      })
    }
    response.json({ status: 'ready', database: database.mode })
  })
  return router
}
