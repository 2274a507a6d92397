import { AppError, type Clock, type EventBus, isAppError, type Logger } from '../core/index.ts'
import {
  type ChunkHit,
  countModelChunks,
  createKnowledgeDocument,
  type Database,
  tenantIndexThreshold as defaultTenantIndexThreshold,
  deleteKnowledgeDocument,
  ensureEmbeddingIndex,
  ensureTenantEmbeddingIndex,
  findDuplicateDocument,
  getKnowledgeDocument,
  getKnowledgeDocumentContent,
  type HnswBuildParameters,
  hashContent,
  hasTenantEmbeddingIndex,
  type KnowledgeDocument,
  listChunksForEmbedding,
  listDocumentsToReindex,
  listKnowledgeDocuments,
  markDocumentFailed,
  markDocumentProcessing,
  type NewChunk,
  replaceDocumentChunks,
  searchKnowledgeChunks,
  supportsIterativeScan,
  type TenantContext,
  updateChunkEmbeddings,
} from '../db/index.ts'
import { buildEmbeddingText, chunkDocument } from './chunk-document.ts'
import type { Embedder } from './embedders/index.ts'
import type { ParsedDocument, ParseInput } from './parsed-document.ts'
import { detectFormat, parseDocument } from './parsers/index.ts'
import { fetchUrl as defaultFetchUrl, type FetchedUrl, type FetchUrlOptions } from './sources/index.ts'
import { vectorLegSettings } from './vector-leg-settings.ts'

/** Where a document comes from. */
export type DocumentSource =
  | { kind: 'file'; bytes: Uint8Array; fileName?: string | undefined; mimeType?: string | undefined }
  | { kind: 'text'; text: string }
  | { kind: 'url'; url: string }

/** Something that runs `processDocument` later, possibly in another process (pg-boss). */
export interface IngestScheduler {
  enqueue(job: { workspaceId: string; documentId: string }): Promise<void>
}

export interface KnowledgeServiceOptions {
  database: Database
  embedder: Embedder
  clock: Clock
  logger: Logger
  bus?: EventBus | undefined
  scheduler?: IngestScheduler | undefined
  /** Parses detected documents; default: the local parsers (the Unstructured API when configured). */
  parse?: (input: ParseInput) => Promise<ParsedDocument>
  fetchUrl?: (options: FetchUrlOptions) => Promise<FetchedUrl>
  maxUploadBytes: number
  allowPrivateUrls: boolean
  /** Chunks of one model at which a workspace gets its own HNSW index (default 10,000). */
  tenantIndexThreshold?: number
  /**
   * `hnsw.ef_search` of searches on a workspace's own index (default `defaultEfSearch`, 100):
   * higher finds more of the exact nearest chunks and costs latency (README, "Retrieval").
   */
  efSearch?: number | undefined
  /**
   * HNSW build parameters of the workspace indexes this service builds (default `tenantHnswBuild`,
   * m 16 / ef_construction 128). A denser graph gives more recall per ef_search step and costs more
   * per step (README, "Benchmarks"); indexes that exist keep what they were built with.
   */
  workspaceIndexBuild?: HnswBuildParameters | undefined
}

/** Ingestion outcome of one document, for progress and summaries. */
export interface ProcessedDocument {
  document: KnowledgeDocument
  pages: number
  chunks: number
}

/** Errors worth another attempt (the embedding server or a URL was briefly unavailable). */
export function isTransient(error: unknown): boolean {
  return isAppError(error) ? error.status >= 500 || error.code === 'rate_limited' : true
}

/**
 * The knowledge base: add documents (file, text, URL), process them (parse -> chunk -> embed ->
 * write, each document in its own short transactions, never holding one across the network), list,
 * delete and search them. Everything runs as a workspace member inside `withTenant`.
 */
export function createKnowledgeService({
  database,
  embedder,
  clock,
  logger,
  bus,
  scheduler,
  parse = parseDocument,
  fetchUrl = defaultFetchUrl,
  maxUploadBytes,
  allowPrivateUrls,
  tenantIndexThreshold = defaultTenantIndexThreshold,
  efSearch,
  workspaceIndexBuild,
}: KnowledgeServiceOptions) {
  const indexedModels = new Set<string>()
  const indexedWorkspaces = new Set<string>()
  let iterativeScan: boolean | undefined

  async function ensureIndex(dimensions: number): Promise<void> {
    const key = `${embedder.model}:${dimensions}`
    if (indexedModels.has(key)) return
    await database.withSystem((system) => ensureEmbeddingIndex(system, { model: embedder.model, dimensions }))
    indexedModels.add(key)
  }

  /**
   * Gives the workspace its own HNSW index for the current model once it holds
   * `tenantIndexThreshold` chunks of it (searchKnowledgeChunks explains why). Checked after each
   * write; the build is system work (DDL) in its own transaction.
   */
  async function ensureTenantIndex(context: TenantContext, dimensions: number): Promise<void> {
    const key = `${embedder.model}:${context.workspaceId}`
    if (indexedWorkspaces.has(key)) return
    const { chunks, indexed } = await database.withTenant(context, async (tenant) => ({
      chunks: await countModelChunks(tenant, { model: embedder.model }),
      indexed: await hasTenantEmbeddingIndex(tenant, { model: embedder.model }),
    }))
    if (!indexed && chunks < tenantIndexThreshold) return
    if (!indexed) {
      const started = performance.now()
      try {
        await database.withSystem((system) =>
          ensureTenantEmbeddingIndex(system, {
            model: embedder.model,
            dimensions,
            workspaceId: context.workspaceId,
            maintenanceWorkMem: '256MB',
            build: workspaceIndexBuild,
          }),
        )
      } catch (error) {
        // The document is written and searchable (exactly); the next write tries again.
        logger.warn(
          { err: error, workspaceId: context.workspaceId },
          'could not build the workspace vector index',
        )
        return
      }
      logger.info(
        {
          workspaceId: context.workspaceId,
          model: embedder.model,
          chunks,
          ms: Math.round(performance.now() - started),
        },
        'built the workspace its own vector index',
      )
    }
    indexedWorkspaces.add(key)
  }

  const tooLarge = () =>
    new AppError('payload_too_large', {
      message: `The document is larger than ${Math.round(maxUploadBytes / 1024 / 1024)} MB.`,
    })

  async function schedule(context: TenantContext, document: KnowledgeDocument): Promise<void> {
    if (scheduler) {
      await scheduler.enqueue({ workspaceId: context.workspaceId, documentId: document.id })
      return
    }
    // No queue (tests, one-off CLI): process right away in the background of this process.
    void processDocument({ workspaceId: context.workspaceId, documentId: document.id }).catch(
      (error: unknown) => logger.error({ err: error, documentId: document.id }, 'document processing failed'),
    )
  }

  /** Adds a document and schedules its processing; an identical one already there is returned instead. */
  async function addDocument({
    context,
    source,
    title,
    collectionId,
  }: {
    context: TenantContext
    source: DocumentSource
    title?: string | undefined
    collectionId?: string | undefined
  }): Promise<{ document: KnowledgeDocument; duplicate: boolean }> {
    if (source.kind === 'url') {
      let url: URL
      try {
        url = new URL(source.url)
      } catch {
        throw new AppError('validation_failed', { message: 'url is not a valid URL.' })
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new AppError('validation_failed', { message: 'Only http and https URLs can be added.' })
      }
      url.hash = ''
      const sourceUrl = url.toString()
      const { document, duplicate } = await database.withTenant(context, async (tenant) => {
        const existing = await findDuplicateDocument(tenant, { sourceUrl })
        if (existing) {
          // Re-ingesting a URL refreshes it: new chunks replace the old ones when processing ends.
          await markDocumentProcessing(tenant, { id: existing.id })
          return { document: { ...existing, status: 'processing' as const, error: null }, duplicate: true }
        }
        return {
          document: await createKnowledgeDocument(tenant, {
            title: title?.trim() || url.hostname + url.pathname,
            sourceType: 'url',
            sourceUrl,
            collectionId: collectionId ?? null,
            createdById: context.userId ?? null,
          }),
          duplicate: false,
        }
      })
      await schedule(context, document)
      return { document, duplicate }
    }

    const bytes = source.kind === 'file' ? source.bytes : new TextEncoder().encode(source.text)
    if (bytes.byteLength > maxUploadBytes) throw tooLarge()
    if (bytes.byteLength === 0 || (source.kind === 'text' && source.text.trim() === '')) {
      throw new AppError('validation_failed', { message: 'The document is empty: no text found.' })
    }
    const fileName = source.kind === 'file' ? source.fileName : undefined
    // Unsupported formats are refused at upload (415), before anything is stored.
    const mimeType =
      source.kind === 'file'
        ? await detectFormat({ bytes, fileName, declaredMimeType: source.mimeType })
        : 'text/markdown'
    const contentHash = hashContent(bytes)
    const outcome = await database.withTenant(context, async (tenant) => {
      const existing = await findDuplicateDocument(tenant, { contentHash })
      if (existing) return { document: existing, duplicate: true }
      return {
        document: await createKnowledgeDocument(tenant, {
          title: title?.trim() || fileName?.replace(/\.[^.]+$/, '') || 'Untitled note',
          sourceType: source.kind,
          fileName: fileName ?? null,
          mimeType,
          content: bytes,
          contentHash,
          collectionId: collectionId ?? null,
          createdById: context.userId ?? null,
        }),
        duplicate: false,
      }
    })
    if (!outcome.duplicate) await schedule(context, outcome.document)
    return outcome
  }

  /**
   * Parses, chunks, embeds and stores one document. Permanent problems (corrupt, encrypted,
   * empty, refused URL) end the document as `failed` with the reason; transient ones (the embedding
   * server is down) are thrown so the queue retries, unless `finalAttempt` says not to.
   */
  async function processDocument({
    workspaceId,
    documentId,
    finalAttempt = true,
  }: {
    workspaceId: string
    documentId: string
    finalAttempt?: boolean
  }): Promise<ProcessedDocument | undefined> {
    const context = { workspaceId }
    const loaded = await database.withTenant(context, async (tenant) => {
      const document = await getKnowledgeDocument(tenant, { id: documentId })
      if (!document) return undefined
      const content =
        document.sourceType === 'url'
          ? undefined
          : await getKnowledgeDocumentContent(tenant, { id: documentId })
      return { document, content }
    })
    if (!loaded) return undefined
    const { document } = loaded
    try {
      let bytes = loaded.content
      let fileName = document.fileName ?? undefined
      let declaredMimeType = document.mimeType ?? undefined
      if (document.sourceType === 'url') {
        const fetched = await fetchUrl({
          url: document.sourceUrl!,
          allowPrivateNetworks: allowPrivateUrls,
          maxBytes: maxUploadBytes,
        })
        bytes = fetched.bytes
        fileName = fetched.fileName
        declaredMimeType = fetched.mimeType
      }
      if (!bytes)
        throw new AppError('unprocessable_document', { message: 'The document has no stored content.' })
      const parsed = await parse({ bytes, fileName, declaredMimeType })
      const title = document.sourceType === 'url' && parsed.title ? parsed.title : document.title
      const chunks = chunkDocument({ document: parsed, title })
      if (chunks.length === 0)
        throw new AppError('unprocessable_document', { message: 'No text found in the document.' })
      const embeddings = await embedder.embed(chunks.map((chunk) => chunk.embeddingText))
      await ensureIndex(embeddings[0]!.length)
      const rows: NewChunk[] = chunks.map((chunk, index) => ({
        position: chunk.position,
        text: chunk.text,
        context: [title, ...chunk.headingPath].join(' > '),
        headingPath: chunk.headingPath,
        page: chunk.page,
        pageEnd: chunk.pageEnd ?? chunk.page,
        tokenCount: chunk.tokenCount,
        embedding: embeddings[index]!,
      }))
      await database.withTenant(context, (tenant) =>
        replaceDocumentChunks(tenant, {
          documentId,
          chunks: rows,
          embeddingModel: embedder.model,
          pageCount: parsed.pageCount,
          title: document.sourceType === 'url' ? title : undefined,
          mimeType: parsed.mimeType,
          fileName: document.sourceType === 'url' ? fileName : undefined,
          contentHash: document.sourceType === 'url' ? hashContent(bytes) : undefined,
          sizeBytes: document.sourceType === 'url' ? bytes.byteLength : undefined,
          now: clock.now(),
        }),
      )
      await ensureTenantIndex(context, embeddings[0]!.length)
      const ready = await database.withTenant(context, (tenant) =>
        getKnowledgeDocument(tenant, { id: documentId }),
      )
      void bus?.publish({ type: 'knowledge.document', workspaceId, documentId, status: 'ready' })
      return { document: ready!, pages: parsed.pageCount ?? 1, chunks: rows.length }
    } catch (error) {
      if (isTransient(error) && !finalAttempt) throw error
      const message = isAppError(error) && error.status < 500 ? error.message : describeFailure(error)
      if (!isAppError(error))
        logger.error({ err: error, documentId }, 'document processing failed unexpectedly')
      await database.withTenant(context, (tenant) =>
        markDocumentFailed(tenant, { id: documentId, error: message, now: clock.now() }),
      )
      void bus?.publish({ type: 'knowledge.document', workspaceId, documentId, status: 'failed' })
      const failed = await database.withTenant(context, (tenant) =>
        getKnowledgeDocument(tenant, { id: documentId }),
      )
      return { document: failed!, pages: 0, chunks: 0 }
    }
  }

  /**
   * Hybrid search over the workspace's ready documents (the function the assistant calls). The
   * query is embedded before any transaction opens.
   */
  async function searchKnowledge({
    context,
    query,
    k = 8,
    collectionIds,
  }: {
    context: TenantContext
    query: string
    k?: number
    collectionIds?: string[] | undefined
  }): Promise<ChunkHit[]> {
    const text = query.trim()
    if (text === '') return []
    const [embedding] = await embedder.embed([text])
    iterativeScan ??= await database.withSystem((system) => supportsIterativeScan(system))
    return database.withTenant(context, (tenant) =>
      searchKnowledgeChunks(tenant, {
        text,
        embedding,
        embeddingModel: embedder.model,
        k,
        collectionIds,
        iterativeScan: iterativeScan!,
        efSearch,
        ...vectorLegSettings(embedder.kind),
      }),
    )
  }

  /**
   * Re-embeds the workspace's chunks with the current embedder (after changing
   * NEREID_EMBEDDING_MODEL): documents embedded by another model, or all with `all`. One document
   * at a time: embed outside any transaction, then swap its vectors in one short transaction.
   */
  async function reindex({
    context,
    all = false,
    onDocument,
  }: {
    context: TenantContext
    all?: boolean
    onDocument?: (progress: { title: string; index: number; total: number; chunks: number }) => void
  }): Promise<{ documents: number; chunks: number }> {
    const documents = await database.withTenant(context, (tenant) =>
      listDocumentsToReindex(tenant, { model: embedder.model, all }),
    )
    let chunkTotal = 0
    // The vector length of this model: from the first vectors made here, else what the embedder
    // knows (0 for a provider that has not answered yet).
    let dimensions = embedder.dimensions
    for (const [index, document] of documents.entries()) {
      const chunks = await database.withTenant(context, (tenant) =>
        listChunksForEmbedding(tenant, { documentId: document.id }),
      )
      const vectors = await embedder.embed(
        chunks.map((chunk) =>
          buildEmbeddingText({ title: document.title, headingPath: chunk.headingPath, text: chunk.text }),
        ),
      )
      if (vectors[0]) {
        dimensions = vectors[0].length
        await ensureIndex(dimensions)
      }
      await database.withTenant(context, (tenant) =>
        updateChunkEmbeddings(tenant, {
          documentId: document.id,
          model: embedder.model,
          embeddings: chunks.map((chunk, position) => ({ id: chunk.id, embedding: vectors[position]! })),
        }),
      )
      chunkTotal += chunks.length
      onDocument?.({ title: document.title, index, total: documents.length, chunks: chunks.length })
    }
    // Once, after the re-embedding, and also when nothing needed it: a large workspace whose own
    // index is missing (dropped to rebuild it, or by migration 20261122001000) gets it back here.
    if (dimensions > 0) await ensureTenantIndex(context, dimensions)
    return { documents: documents.length, chunks: chunkTotal }
  }

  return {
    embedder,
    reindex,
    addDocument,
    processDocument,
    searchKnowledge,
    async listDocuments({
      context,
      status,
      limit,
      offset,
    }: {
      context: TenantContext
      status?: KnowledgeDocument['status'] | undefined
      limit: number
      offset: number
    }) {
      return database.withTenant(context, (tenant) =>
        listKnowledgeDocuments(tenant, { status, limit, offset }),
      )
    },
    async getDocument({ context, id }: { context: TenantContext; id: string }) {
      const document = await database.withTenant(context, (tenant) => getKnowledgeDocument(tenant, { id }))
      if (!document) throw new AppError('not_found', { message: `No document with id ${id}.` })
      return document
    },
    async deleteDocument({ context, id }: { context: TenantContext; id: string }) {
      const deleted = await database.withTenant(context, (tenant) => deleteKnowledgeDocument(tenant, { id }))
      if (!deleted) throw new AppError('not_found', { message: `No document with id ${id}.` })
    },
  }
}

export type KnowledgeService = ReturnType<typeof createKnowledgeService>

function describeFailure(error: unknown): string {
  if (isAppError(error)) return `${error.message} (gave up after retrying)`
  return 'The document could not be processed because of an internal error; it has been logged.'
}
