import { Router } from 'express'
import { z } from 'zod'
import { type Database, listRecords, recordKinds, recordListSpecs } from '../../../db/index.ts'
import { pagingQueryShape } from '../paging.ts'
import { getRequestContext } from '../request-context.ts'
import { validateInput } from '../validate-input.ts'

const pagingShape = {
  q: z.string({ message: 'expected one search text' }).max(200, 'at most 200 characters').optional(),
  ...pagingQueryShape,
}

/**
 * `GET /v1/{customers,contacts,prospects,deals,tasks,campaigns}`: read-only, paged lists of the
 * acting member's workspace, with `?q=` search and the filters each list declares. Every role,
 * viewers included, may read.
 */
export function createRecordRoutes({ database }: { database: Database }): Router {
  const router = Router()
  for (const kind of recordKinds) {
    const filters = Object.fromEntries(
      Object.entries(recordListSpecs[kind].filters).map(([name, schema]) => [name, schema.optional()]),
    )
    const schema = z.object({ ...pagingShape, ...filters }).strict()
    router.get(`/${kind}`, async (request, response) => {
      const { q, limit, offset, ...given } = validateInput({
        schema,
        input: request.query,
        what: 'query parameter',
      })
      const context = getRequestContext(request)
      const page = await database.withTenant(context, (tenant) =>
        listRecords(tenant, { kind, q, filters: given as Record<string, string>, limit, offset }),
      )
      response.json(page)
    })
  }
  return router
}
