import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { SystemTransaction, TenantTransaction } from '../database.ts'
import type { DocumentSourceType, DocumentStatus } from '../vocabulary.ts'
import { selectRows } from './select-rows.ts'

/** A knowledge document as the API shows it (never the stored bytes). */
export interface KnowledgeDocument {
  id: string
  collectionId: string | null
  title: string
  sourceType: DocumentSourceType
  sourceUrl: string | null
  fileName: string | null
  mimeType: string | null
  sizeBytes: number
  contentHash: string | null
  status: DocumentStatus
  error: string | null
  pageCount: number | null
  chunkCount: number
  embeddingModel: string | null
  createdById: string | null
  createdAt: Date
  processedAt: Date | null
}

const documentColumns = `id, collection_id AS "collectionId", title, source_type AS "sourceType", source_url AS "sourceUrl",
  file_name AS "fileName", mime_type AS "mimeType", size_bytes::float8 AS "sizeBytes", content_hash AS "contentHash",
  status, error, page_count AS "pageCount", chunk_count AS "chunkCount", embedding_model AS "embeddingModel",
  created_by_id AS "createdById", created_at AS "createdAt", processed_at AS "processedAt"`

const select = selectRows

export interface NewKnowledgeDocument {
  title: string
  sourceType: DocumentSourceType
  sourceUrl?: string | null
  fileName?: string | null
  mimeType?: string | null
  content?: Uint8Array | null
  contentHash?: string | null
  collectionId?: string | null
  createdById: string | null
}

/** SHA-256 of content, the key for "same upload again". */
export function hashContent(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex')
}

/** Creates a document in `processing`. */
export async function createKnowledgeDocument(
  tenant: TenantTransaction,
  document: NewKnowledgeDocument,
): Promise<KnowledgeDocument> {
  const [created] = await select<KnowledgeDocument>(
    tenant,
    `INSERT INTO knowledge_documents
       (workspace_id, collection_id, title, source_type, source_url, file_name, mime_type, size_bytes, content, content_hash, created_by_id)
     VALUES (:workspaceId, :collectionId, :title, :sourceType, :sourceUrl, :fileName, :mimeType, :sizeBytes, :content, :contentHash, :createdById)
     RETURNING ${documentColumns}`,
    {
      workspaceId: tenant.workspaceId,
      collectionId: document.collectionId ?? null,
      title: document.title,
      sourceType: document.sourceType,
      sourceUrl: document.sourceUrl ?? null,
      fileName: document.fileName ?? null,
      mimeType: document.mimeType ?? null,
      sizeBytes: document.content?.byteLength ?? 0,
      content: document.content ? Buffer.from(document.content) : null,
      contentHash: document.contentHash ?? null,
      createdById: document.createdById,
    },
  )
  return created!
}

/** A document by id (undefined for unknown ids and other workspaces' ids). */
export async function getKnowledgeDocument(
  tenant: TenantTransaction,
  { id }: { id: string },
): Promise<KnowledgeDocument | undefined> {
  const [row] = await select<KnowledgeDocument>(
    tenant,
    `SELECT ${documentColumns} FROM knowledge_documents WHERE id = :id`,
    { id },
  )
  return row
}

/** The stored bytes of a document, for the worker. */
export async function getKnowledgeDocumentContent(
  tenant: TenantTransaction,
  { id }: { id: string },
): Promise<Uint8Array | undefined> {
  const [row] = await select<{ content: Buffer | null }>(
    tenant,
    'SELECT content FROM knowledge_documents WHERE id = :id',
    { id },
  )
  return row?.content ? new Uint8Array(row.content) : undefined
}

/** An existing document with the same content (file/text) or URL, for idempotent ingestion. */
export async function findDuplicateDocument(
  tenant: TenantTransaction,
  { contentHash, sourceUrl }: { contentHash?: string | undefined; sourceUrl?: string | undefined },
): Promise<KnowledgeDocument | undefined> {
  const [row] = sourceUrl
    ? await select<KnowledgeDocument>(
        tenant,
        `SELECT ${documentColumns} FROM knowledge_documents WHERE source_type = 'url' AND source_url = :sourceUrl`,
        { sourceUrl },
      )
    : await select<KnowledgeDocument>(
        tenant,
        `SELECT ${documentColumns} FROM knowledge_documents
          WHERE content_hash = :contentHash AND source_type <> 'url' AND status <> 'failed'
          ORDER BY created_at LIMIT 1`,
        { contentHash },
      )
  return row
}

export async function listKnowledgeDocuments(
  tenant: TenantTransaction,
  { status, limit, offset }: { status?: DocumentStatus | undefined; limit: number; offset: number },
): Promise<KnowledgeDocument[]> {
  return select<KnowledgeDocument>(
    tenant,
    `SELECT ${documentColumns} FROM knowledge_documents ${status ? 'WHERE status = :status' : ''}
      ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset`,
    { status: status ?? null, limit, offset },
  )
}

/** Deletes a document (its chunks go with it); false when there was none. */
export async function deleteKnowledgeDocument(
  tenant: TenantTransaction,
  { id }: { id: string },
): Promise<boolean> {
  const rows = await select<{ id: string }>(
    tenant,
    'DELETE FROM knowledge_documents WHERE id = :id RETURNING id',
    { id },
  )
  return rows.length > 0
}

/** Moves a document back to processing (re-ingesting a URL, retrying a failure). */
export async function markDocumentProcessing(
  tenant: TenantTransaction,
  { id }: { id: string },
): Promise<void> {
  await select(
    tenant,
    `UPDATE knowledge_documents SET status = 'processing', error = NULL WHERE id = :id RETURNING id`,
    { id },
  )
}

export async function markDocumentFailed(
  tenant: TenantTransaction,
  { id, error, now }: { id: string; error: string; now: Date },
): Promise<void> {
  await select(
    tenant,
    `UPDATE knowledge_documents SET status = 'failed', error = :error, chunk_count = 0, processed_at = :now
      WHERE id = :id RETURNING id`,
    { id, error, now },
  )
  await select(tenant, 'DELETE FROM knowledge_chunks WHERE document_id = :id RETURNING id', { id })
}

export interface NewChunk {
  position: number
  text: string
  context: string
  headingPath: string[]
  page: number | undefined
  pageEnd: number | undefined
  tokenCount: number
  embedding: number[]
}

/** Rows per INSERT statement when writing chunks. */
const chunkBatchSize = 200

/**
 * Replaces all chunks of a document and marks it ready, in the caller's (short) transaction:
 * searches see either the old chunks or the new ones, never a mix.
 */
export async function replaceDocumentChunks(
  tenant: TenantTransaction,
  {
    documentId,
    chunks,
    embeddingModel,
    pageCount,
    title,
    mimeType,
    fileName,
    contentHash,
    sizeBytes,
    now,
  }: {
    documentId: string
    chunks: NewChunk[]
    embeddingModel: string
    pageCount: number | undefined
    title?: string | undefined
    mimeType?: string | undefined
    fileName?: string | undefined
    contentHash?: string | undefined
    sizeBytes?: number | undefined
    now: Date
  },
): Promise<void> {
  await select(tenant, 'DELETE FROM knowledge_chunks WHERE document_id = :documentId RETURNING id', {
    documentId,
  })
  for (let start = 0; start < chunks.length; start += chunkBatchSize) {
    const batch = chunks.slice(start, start + chunkBatchSize)
    const replacements: Record<string, unknown> = {
      workspaceId: tenant.workspaceId,
      documentId,
      embeddingModel,
    }
    const values = batch.map((chunk, index) => {
      replacements[`position${index}`] = chunk.position
      replacements[`text${index}`] = chunk.text
      replacements[`context${index}`] = chunk.context
      replacements[`heading${index}`] =
        `{${chunk.headingPath.map((heading) => JSON.stringify(heading)).join(',')}}`
      replacements[`page${index}`] = chunk.page ?? null
      replacements[`pageEnd${index}`] = chunk.pageEnd ?? chunk.page ?? null
      replacements[`tokens${index}`] = chunk.tokenCount
      replacements[`embedding${index}`] = `[${chunk.embedding.join(',')}]`
      return `(:workspaceId, :documentId, :position${index}, :text${index}, :context${index}, CAST(:heading${index} AS text[]),
        :page${index}, :pageEnd${index}, :tokens${index}, CAST(:embedding${index} AS vector), :embeddingModel)`
    })
    await tenant.sequelize.query(
      `INSERT INTO knowledge_chunks
         (workspace_id, document_id, position, text, context, heading_path, page, page_end, token_count, embedding, embedding_model)
       VALUES ${values.join(',\n')}`,
      { replacements, transaction: tenant.transaction },
    )
  }
  await select(
    tenant,
    `UPDATE knowledge_documents
        SET status = 'ready', error = NULL, chunk_count = :chunkCount, page_count = :pageCount, embedding_model = :embeddingModel,
            processed_at = :now, title = coalesce(:title, title), mime_type = coalesce(:mimeType, mime_type),
            file_name = coalesce(:fileName, file_name), content_hash = coalesce(:contentHash, content_hash),
            size_bytes = coalesce(:sizeBytes, size_bytes)
      WHERE id = :documentId RETURNING id`,
    {
      documentId,
      chunkCount: chunks.length,
      pageCount: pageCount ?? null,
      embeddingModel,
      now,
      title: title ?? null,
      mimeType: mimeType ?? null,
      fileName: fileName ?? null,
      contentHash: contentHash ?? null,
      sizeBytes: sizeBytes ?? null,
    },
  )
}

/** Name of the per-model vector index (models are arbitrary strings; the name must be an identifier). */
export function embeddingIndexName(model: string): string {
  return `knowledge_chunks_embedding_${createHash('sha256').update(model).digest('hex').slice(0, 16)}_idx`
}

/** Name of one workspace's own vector index for one model. */
export function tenantEmbeddingIndexName({
  model,
  workspaceId,
}: {
  model: string
  workspaceId: string
}): string {
  // `halfvec` in the digest: indexes of the earlier layout (float4 `vector`, same expression as the
  // shared index) had the name without it; migration 20261122001000 drops them.
  const digest = createHash('sha256')
    .update(`${model}\u0000${workspaceId}\u0000halfvec`)
    .digest('hex')
    .slice(0, 20)
  return `knowledge_chunks_tenant_${digest}_idx`
}

/**
 * Chunks of one model above which a workspace gets an HNSW index of its own. Below it, exact
 * search over the workspace's rows (found through the `(workspace_id, embedding_model)` b-tree) is
 * about as fast as an index scan and has perfect recall (measured: 10k chunks of 256 dimensions in
 * ~19 ms on PostgreSQL 15).
 */
export const tenantIndexThreshold = 10_000

/** HNSW build parameters of an index (pgvector's `WITH (m = ..., ef_construction = ...)`). */
export interface HnswBuildParameters {
  /** Links per node and layer (2-100; pgvector's default 16). More: better recall, bigger index. */
  m: number
  /** Candidate list size while building (4-1000, at least 2 x m; pgvector's default 64). */
  efConstruction: number
}

/**
 * The HNSW build parameters of the shared per-model index (pgvector's defaults are 16 / 64). Indexes
 * that already exist keep the parameters they were built with: `CREATE INDEX IF NOT EXISTS` leaves
 * them alone, and so does `nereid knowledge reindex` unless the model changes (a new model gets a
 * new index). To rebuild one with other values: `ALTER INDEX <name> SET (m = .., ef_construction =
 * ..)` then `REINDEX INDEX CONCURRENTLY <name>`.
 */
export const hnswBuild: Readonly<HnswBuildParameters> = Object.freeze({ m: 16, efConstruction: 128 })

/**
 * The default HNSW build parameters of a workspace's own index (`NEREID_HNSW_M` and
 * `NEREID_HNSW_EF_CONSTRUCTION` override them for indexes built from then on). Only that
 * workspace's searches use it (see `tenantIndexDistance`), so it may be denser than the shared one:
 * recall per `hnsw.ef_search` step rises with m, and so does the cost of each step. Measured at 100k
 * chunks (README, "Benchmarks"): m 24 / 200 reaches hybrid recall 0.95 at ef_search 600, m 16 / 128
 * not below 800, but at the default ef_search of 100 m 24 adds about 2 ms to every search, which the
 * assistant turn's budget does not have; so the default is m 16 / 128. To rebuild a workspace's
 * index with new values: `DROP INDEX <name>` (the next ingestion into the workspace, or `nereid
 * knowledge reindex`, builds it again).
 */
export const tenantHnswBuild: Readonly<HnswBuildParameters> = Object.freeze({ m: 16, efConstruction: 128 })

/**
 * `hnsw.ef_search` of searchKnowledgeChunks' index path (pgvector allows 1-1000; its default 40).
 */
export const defaultEfSearch = 100

/** pgvector's `hnsw.ef_search` ceiling. */
const maxEfSearch = 1000

function checkHnswBuild({ m, efConstruction }: HnswBuildParameters): void {
  if (!Number.isInteger(m) || m < 2 || m > 100) {
    throw new Error(`HNSW m must be an integer from 2 to 100, got ${m}.`)
  }
  if (!Number.isInteger(efConstruction) || efConstruction < 4 || efConstruction > 1000) {
    throw new Error(`HNSW ef_construction must be an integer from 4 to 1000, got ${efConstruction}.`)
  }
  if (efConstruction < 2 * m) {
    throw new Error(`HNSW ef_construction (${efConstruction}) must be at least 2 x m (${m}).`)
  }
}

/**
 * How an index stores vectors: `vector` (4-byte floats, HNSW up to 2,000 dimensions) or `halfvec`
 * (2-byte floats, up to 4,000; half the pages to read per step, at a precision loss far below the
 * gaps between neighbours, and the candidates are re-ranked at full precision anyway).
 */
type IndexStorage = 'vector' | 'halfvec'

const maxIndexedDimensions: Record<IndexStorage, number> = { vector: 2000, halfvec: 4000 }

/**
 * `CREATE INDEX IF NOT EXISTS` of an HNSW cosine index on `(embedding::<storage>(N))` restricted by
 * `predicate`, in the caller's system transaction; `maintenanceWorkMem` (e.g. '512MB') is set for
 * this transaction only, since the build is much faster when the graph fits in memory. An index
 * that already exists is left as it is, whatever it was built with.
 */
async function createHnswIndex(
  { sequelize, transaction }: SystemTransaction,
  {
    name,
    storage,
    dimensions,
    predicate,
    maintenanceWorkMem,
    build,
  }: {
    name: string
    storage: IndexStorage
    dimensions: number
    predicate: string
    maintenanceWorkMem?: string | undefined
    build: HnswBuildParameters
  },
): Promise<void> {
  const maxDimensions = maxIndexedDimensions[storage]
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > maxDimensions) {
    throw new Error(
      `Embedding dimensions ${dimensions} cannot be indexed with HNSW on ${storage} (1-${maxDimensions}).`,
    )
  }
  checkHnswBuild(build)
  if (maintenanceWorkMem) {
    await sequelize.query(`SET LOCAL maintenance_work_mem = ${sequelize.escape(maintenanceWorkMem)}`, {
      transaction,
    })
  }
  await sequelize.query(
    `CREATE INDEX IF NOT EXISTS ${name} ON knowledge_chunks
       USING hnsw ((embedding::${storage}(${dimensions})) ${storage}_cosine_ops)
       WITH (m = ${build.m}, ef_construction = ${build.efConstruction})
       WHERE ${predicate}`,
    { transaction },
  )
}

/**
 * Creates the HNSW index for one embedding model if it does not exist: a partial expression index,
 * `(embedding::vector(N)) vector_cosine_ops WHERE embedding_model = '<model>'`. System work (DDL).
 * The same expression and predicate must appear in queries for the planner to use it.
 */
export async function ensureEmbeddingIndex(
  system: SystemTransaction,
  {
    model,
    dimensions,
    maintenanceWorkMem,
    build,
  }: {
    model: string
    dimensions: number
    maintenanceWorkMem?: string | undefined
    /** HNSW parameters (default `hnswBuild`); only used when the index is created. */
    build?: HnswBuildParameters | undefined
  },
): Promise<void> {
  await createHnswIndex(system, {
    name: embeddingIndexName(model),
    storage: 'vector',
    dimensions,
    predicate: `embedding_model = ${system.sequelize.escape(model)}`,
    maintenanceWorkMem,
    build: build ?? hnswBuild,
  })
}

/**
 * Creates a workspace's own HNSW index for one model (the pgvector README's advice for filtering
 * on a large tenant): `(embedding::halfvec(N)) halfvec_cosine_ops WHERE embedding_model = '<model>'
 * AND workspace_id = '<id>'`, built with `tenantHnswBuild` (see `tenantIndexDistance` for why
 * `halfvec`; it also indexes models of up to 4,000 dimensions). System work
 * (DDL); callers decide when (see `tenantIndexThreshold`). Building takes a lock that blocks writes
 * to `knowledge_chunks` for its duration, which is why it happens once, at the threshold, when the
 * workspace has about 10k chunks (a second or two), and later inserts maintain it incrementally.
 */
export async function ensureTenantEmbeddingIndex(
  system: SystemTransaction,
  {
    model,
    dimensions,
    workspaceId,
    maintenanceWorkMem,
    build,
  }: {
    model: string
    dimensions: number
    workspaceId: string
    maintenanceWorkMem?: string | undefined
    /** HNSW parameters (default `hnswBuild`); only used when the index is created. */
    build?: HnswBuildParameters | undefined
  },
): Promise<void> {
  const literal = (value: string) => system.sequelize.escape(value)
  await createHnswIndex(system, {
    name: tenantEmbeddingIndexName({ model, workspaceId }),
    storage: 'halfvec',
    dimensions,
    predicate: `embedding_model = ${literal(model)} AND workspace_id = ${literal(z.uuid().parse(workspaceId))}`,
    maintenanceWorkMem,
    build: build ?? tenantHnswBuild,
  })
}

/**
 * The distance a workspace's own index serves, for chunks aliased `c` and the query vector in the
 * replacement `:embedding`: cosine distance between `halfvec(N)` casts. The shared per-model index
 * is on `vector(N)`, so no query shape of one can be answered by the other: the planner cannot
 * trade the workspace's graph for the shared one filtered to the workspace (pgvector's cost
 * estimate grows with m, and the shared graph has poor recall for one tenant).
 */
export function tenantIndexDistance({ dimensions }: { dimensions: number }): string {
  return `(c.embedding::halfvec(${dimensions})) <=> CAST(:embedding AS halfvec(${dimensions}))`
}

/** How many ready chunks the current workspace holds for `model` (from the documents' counts). */
export async function countModelChunks(
  tenant: TenantTransaction,
  { model }: { model: string },
): Promise<number> {
  const [row] = await select<{ chunks: number }>(
    tenant,
    `SELECT coalesce(sum(chunk_count), 0)::int AS chunks FROM knowledge_documents
      WHERE status = 'ready' AND embedding_model = :model`,
    { model },
  )
  return row?.chunks ?? 0
}

/** Whether the current workspace has a valid index of its own for `model`. */
export async function hasTenantEmbeddingIndex(
  tenant: TenantTransaction,
  { model }: { model: string },
): Promise<boolean> {
  const [row] = await select<{ valid: boolean }>(
    tenant,
    'SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass(:name)',
    { name: tenantEmbeddingIndexName({ model, workspaceId: tenant.workspaceId }) },
  )
  return row?.valid === true
}

export interface ChunkHit {
  chunkId: string
  documentId: string
  title: string
  text: string
  page: number | null
  headingPath: string[]
  score: number
  sourceUrl: string | null
  fileName: string | null
}

/** How the vector leg found its candidates: the workspace's own HNSW index, or exact search. */
export type VectorStrategy = 'tenant-index' | 'exact'

/** Reciprocal rank fusion constant (Cormack et al. use 60). */
const rrfK = 60

/**
 * Hybrid retrieval in the current workspace: nearest chunks by cosine distance plus full-text
 * matches (`websearch_to_tsquery`, `ts_rank_cd`, through `knowledge_text_search`), fused by
 * reciprocal rank.
 *
 * Why this holds for many tenants of very different sizes: one shared HNSW graph filtered by
 * tenant afterwards loses recall fast as the tenant's share of the graph shrinks (measured: recall@10
 * 0.09 for a tenant holding half of 190k rows), and iterative scans only trade that for latency. So
 * a workspace with its own partial index (built at `tenantIndexThreshold` chunks) is searched on it,
 * unfiltered, and every other workspace is searched exactly: few rows, found by the b-tree on
 * `(workspace_id, embedding_model)`, ranked by true distance. Both add an explicit
 * `workspace_id = <the tenant>` (a constant, so the planner can match the partial index); row-level
 * security still applies on top. pgvector >= 0.8's iterative scan stays on for the index path, so a
 * collection filter cannot starve it.
 */
export async function searchKnowledgeChunks(
  tenant: TenantTransaction,
  {
    text,
    embedding,
    embeddingModel,
    k,
    collectionIds,
    candidates = Math.max(40, k * 4),
    iterativeScan,
    efSearch = defaultEfSearch,
    minSimilarity = 0,
    vectorWeight = 1,
    vectorStrategy,
  }: {
    text: string
    embedding: number[] | undefined
    embeddingModel: string
    k: number
    collectionIds?: string[] | undefined
    candidates?: number
    iterativeScan: boolean
    /** `hnsw.ef_search` for the index path (default `defaultEfSearch`; at least `candidates`, at most 1000). */
    efSearch?: number | undefined
    /** Vector matches below this cosine similarity are dropped (they are not about the query). */
    minSimilarity?: number
    /** The vector leg's weight in the fusion, against 1 for the full-text leg. */
    vectorWeight?: number
    /** Force a strategy (benchmarks); by default the tenant index when it exists, else exact. */
    vectorStrategy?: VectorStrategy | undefined
  },
): Promise<ChunkHit[]> {
  const dimensions = embedding?.length ?? 0
  const collectionFilter = collectionIds?.length
    ? 'AND c.document_id IN (SELECT id FROM knowledge_documents WHERE collection_id IN (:collectionIds))'
    : ''
  let vectorLeg = 'vector_hits AS (SELECT NULL::uuid AS id, NULL::bigint AS rank WHERE false),'
  if (embedding) {
    const searchSettings = [
      `set_config('hnsw.ef_search', '${Math.min(maxEfSearch, Math.max(Math.trunc(efSearch), candidates))}', true)`,
      ...(iterativeScan ? ["set_config('hnsw.iterative_scan', 'relaxed_order', true)"] : []),
    ].join(', ')
    let strategy = vectorStrategy
    if (strategy === undefined) {
      // One round trip: whether the workspace's own index is valid, and (only when it is) the scan
      // settings for this transaction.
      const [row] = await select<{ valid: boolean }>(
        tenant,
        `SELECT indisvalid AS valid, ${searchSettings} FROM pg_index WHERE indexrelid = to_regclass(:name) AND indisvalid`,
        { name: tenantEmbeddingIndexName({ model: embeddingModel, workspaceId: tenant.workspaceId }) },
      )
      strategy = row?.valid === true ? 'tenant-index' : 'exact'
    } else if (strategy === 'tenant-index') {
      await select(tenant, `SELECT ${searchSettings}`)
    }
    // The index path orders by what the workspace's index serves (halfvec) and ranks the candidates
    // by their full-precision distance; the exact path orders by the plain operator, which no HNSW
    // index serves, so the planner cannot pick the shared (filtered, low-recall) graph.
    const exactDistance = 'c.embedding <=> CAST(:embedding AS vector)'
    const order = strategy === 'tenant-index' ? tenantIndexDistance({ dimensions }) : exactDistance
    vectorLeg = `vector_hits AS (
         SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM (
           SELECT c.id, ${exactDistance} AS distance
             FROM knowledge_chunks c
            WHERE c.workspace_id = :workspaceId AND c.embedding_model = :embeddingModel ${collectionFilter}
            ORDER BY ${order}
            LIMIT :candidates) nearest
          WHERE distance <= :maxDistance),`
  }
  return select<ChunkHit>(
    tenant,
    `WITH ${vectorLeg}
     text_hits AS (
       SELECT id, row_number() OVER (ORDER BY relevance DESC, id) AS rank
         FROM knowledge_text_search(:text, :candidates, CAST(:collectionArray AS uuid[]))),
     fused AS (
       SELECT id, sum(weight / (${rrfK} + rank)) AS score
         FROM (SELECT id, rank, CAST(:vectorWeight AS float8) AS weight FROM vector_hits
               UNION ALL SELECT id, rank, 1.0 FROM text_hits) hits
        GROUP BY id)
     SELECT c.id AS "chunkId", c.document_id AS "documentId", d.title, c.text, c.page, c.heading_path AS "headingPath",
            f.score::float8 AS score, d.source_url AS "sourceUrl", d.file_name AS "fileName"
       FROM fused f
       JOIN knowledge_chunks c ON c.id = f.id
       JOIN knowledge_documents d ON d.id = c.document_id
      WHERE d.status = 'ready'
      ORDER BY f.score DESC, c.id
      LIMIT :k`,
    {
      text,
      embedding: embedding ? `[${embedding.join(',')}]` : null,
      embeddingModel,
      workspaceId: tenant.workspaceId,
      k,
      candidates,
      maxDistance: 1 - minSimilarity,
      vectorWeight,
      collectionIds: collectionIds ?? [],
      collectionArray: `{${(collectionIds ?? []).join(',')}}`,
    },
  )
}

/** Whether the server's pgvector supports iterative index scans (0.8+). */
export async function supportsIterativeScan(system: SystemTransaction): Promise<boolean> {
  const [row] = await select<{ version: string }>(
    system,
    "SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'",
  )
  const [major = 0, minor = 0] = (row?.version ?? '0.0').split('.').map(Number)
  return major > 0 || minor >= 8
}

/** The documents whose chunks were embedded by another model than `model` (or all with `all`). */
export async function listDocumentsToReindex(
  tenant: TenantTransaction,
  { model, all }: { model: string; all: boolean },
): Promise<{ id: string; title: string }[]> {
  return select<{ id: string; title: string }>(
    tenant,
    `SELECT d.id, d.title FROM knowledge_documents d
      WHERE d.status = 'ready' AND (:all OR EXISTS (
        SELECT 1 FROM knowledge_chunks c WHERE c.document_id = d.id AND c.embedding_model IS DISTINCT FROM :model))
      ORDER BY d.created_at, d.id`,
    { model, all },
  )
}

/** A document's chunks with the text their embedding is computed from. */
export async function listChunksForEmbedding(
  tenant: TenantTransaction,
  { documentId }: { documentId: string },
): Promise<{ id: string; context: string; headingPath: string[]; text: string }[]> {
  return select(
    tenant,
    `SELECT id, context, heading_path AS "headingPath", text FROM knowledge_chunks WHERE document_id = :documentId ORDER BY position`,
    { documentId },
  )
}

/** Stores new embeddings for chunks of one document, all made by `model`. */
export async function updateChunkEmbeddings(
  tenant: TenantTransaction,
  {
    documentId,
    model,
    embeddings,
  }: { documentId: string; model: string; embeddings: { id: string; embedding: number[] }[] },
): Promise<void> {
  for (let start = 0; start < embeddings.length; start += chunkBatchSize) {
    const batch = embeddings.slice(start, start + chunkBatchSize)
    await select(
      tenant,
      `UPDATE knowledge_chunks c SET embedding = CAST(v.embedding AS vector), embedding_model = :model
         FROM (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid, embedding text)) v
        WHERE c.id = v.id AND c.document_id = :documentId RETURNING c.id`,
      {
        model,
        documentId,
        rows: JSON.stringify(batch.map((row) => ({ id: row.id, embedding: `[${row.embedding.join(',')}]` }))),
      },
    )
  }
  await select(
    tenant,
    'UPDATE knowledge_documents SET embedding_model = :model WHERE id = :documentId RETURNING id',
    {
      model,
      documentId,
    },
  )
}
