import { type RequestHandler, Router } from 'express'
import multer from 'multer'
import { z } from 'zod'
import { AppError } from '../../../core/index.ts'
import { documentStatuses } from '../../../db/index.ts'
import type { KnowledgeService } from '../../../ingest/index.ts'
import { pageOf, pagingQueryShape } from '../paging.ts'
import { getRequestContext, type RequestContext } from '../request-context.ts'
import { validateInput } from '../validate-input.ts'

const idParameter = z.object({ id: z.uuid({ message: 'expected a document id (uuid)' }) })
const optionalCollection = z.uuid({ message: 'expected a collection id (uuid)' }).optional()
const jsonBody = z.union([
  z
    .object({
      url: z.string().trim().min(1).max(2048),
      title: z.string().trim().max(500).optional(),
      collectionId: optionalCollection,
    })
    .strict(),
  z
    .object({
      title: z.string().trim().min(1, 'a note needs a title').max(500),
      text: z.string().min(1, 'text is empty'),
      collectionId: optionalCollection,
    })
    .strict(),
])
const multipartFields = z
  .object({ title: z.string().trim().max(500).optional(), collectionId: optionalCollection })
  .strict()
const listQuery = z
  .object({
    status: z.enum(documentStatuses).optional(),
    ...pagingQueryShape,
  })
  .strict()
const searchQuery = z
  .object({
    q: z.string({ message: 'give the search text as q' }).trim().min(1, 'q is empty').max(1000),
    k: z.coerce.number().int().min(1).max(50).default(8),
    collectionId: z.uuid().optional(),
  })
  .strict()

/** Why: viewers can read and search the knowledge base but never change it. */
function requireWriter(context: RequestContext): void {
  if (context.role === 'viewer') {
    throw new AppError('forbidden', { message: 'Viewers can search the knowledge base but not change it.' })
  }
}

const tenantOf = (context: RequestContext) => ({ workspaceId: context.workspaceId, userId: context.userId })

/**
 * The knowledge base over HTTP: uploads (multipart `file`, or JSON `{ url }` / `{ title, text }`),
 * document status, deletion and hybrid search. Uploads answer 202 at once; processing runs on the
 * ingestion queue and the status moves from `processing` to `ready` or `failed`.
 */
export function createKnowledgeRoutes({
  knowledge,
  maxUploadBytes,
}: {
  knowledge: KnowledgeService
  maxUploadBytes: number
}): Router {
  const router = Router()
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024 },
  }).single('file')
  const receiveUpload: RequestHandler = (request, response, next) => {
    if (!request.is('multipart/form-data')) return next()
    upload(request, response, (error: unknown) => {
      if (!error) return next()
      const code = (error as { code?: string }).code
      if (code === 'LIMIT_FILE_SIZE') {
        return next(
          new AppError('payload_too_large', {
            message: `The file is larger than ${Math.round(maxUploadBytes / 1024 / 1024)} MB.`,
          }),
        )
      }
      next(
        new AppError('bad_request', {
          message: `The upload could not be read (${code ?? 'malformed multipart body'}).`,
          cause: error,
        }),
      )
    })
  }

  router.post('/knowledge/documents', receiveUpload, async (request, response) => {
    const context = getRequestContext(request)
    requireWriter(context)
    let outcome: Awaited<ReturnType<KnowledgeService['addDocument']>>
    if (request.is('multipart/form-data')) {
      const fields = validateInput({ schema: multipartFields, input: { ...request.body }, what: 'field' })
      if (!request.file)
        throw new AppError('validation_failed', {
          message: 'Send the document in a multipart field named "file".',
        })
      outcome = await knowledge.addDocument({
        context: tenantOf(context),
        source: {
          kind: 'file',
          bytes: new Uint8Array(request.file.buffer),
          fileName: request.file.originalname,
          mimeType: request.file.mimetype,
        },
        title: fields.title,
        collectionId: fields.collectionId,
      })
    } else {
      const body = validateInput({ schema: jsonBody, input: request.body ?? {}, what: 'field' })
      outcome = await knowledge.addDocument({
        context: tenantOf(context),
        source: 'url' in body ? { kind: 'url', url: body.url } : { kind: 'text', text: body.text },
        title: body.title,
        collectionId: body.collectionId,
      })
    }
    response
      .status(202)
      .json({ id: outcome.document.id, status: outcome.document.status, duplicate: outcome.duplicate })
  })

  router.get('/knowledge/documents', async (request, response) => {
    const { status, limit, offset } = validateInput({
      schema: listQuery,
      input: request.query,
      what: 'query parameter',
    })
    const data = await knowledge.listDocuments({
      context: tenantOf(getRequestContext(request)),
      status,
      limit,
      offset,
    })
    response.json({ data, page: pageOf({ count: data.length, limit, offset }) })
  })

  router.get('/knowledge/documents/:id', async (request, response) => {
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    response.json(await knowledge.getDocument({ context: tenantOf(getRequestContext(request)), id }))
  })

  router.delete('/knowledge/documents/:id', async (request, response) => {
    const context = getRequestContext(request)
    requireWriter(context)
    const { id } = validateInput({ schema: idParameter, input: request.params, what: 'path parameter' })
    await knowledge.deleteDocument({ context: tenantOf(context), id })
    response.status(204).end()
  })

  router.get('/knowledge/search', async (request, response) => {
    const { q, k, collectionId } = validateInput({
      schema: searchQuery,
      input: request.query,
      what: 'query parameter',
    })
    const hits = await knowledge.searchKnowledge({
      context: tenantOf(getRequestContext(request)),
      query: q,
      k,
      collectionIds: collectionId ? [collectionId] : undefined,
    })
    response.json({
      results: hits.map((hit) => ({
        documentId: hit.documentId,
        chunkId: hit.chunkId,
        title: hit.title,
        text: hit.text,
        score: hit.score,
        ...(hit.page ? { page: hit.page } : {}),
        headingPath: hit.headingPath,
        ...(hit.sourceUrl ? { url: hit.sourceUrl } : {}),
      })),
    })
  })

  return router
}
