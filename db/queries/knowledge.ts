import { createHash } from 'node:crypto'
import { QueryTypes } from 'sequelize'
import type { SystemTransaction, TenantTransaction } from '../database.ts'
import type { DocumentSourceType, DocumentStatus } from '../vocabulary.ts'

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

async function select<Row extends object = Record<string, unknown>>(
  { sequelize, transaction }: Pick<TenantTransaction, 'sequelize' | 'transaction'>,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<Row[]> {
  return (await sequelize.query(sql, { replacements, transaction, type: QueryTypes.SELECT })) as Row[]
}

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

/**
 * Creates the HNSW index for one embedding model if it does not exist: a partial expression index,
 * `(embedding::vector(N)) vector_cosine_ops WHERE embedding_model = '<model>'`. System work (DDL).
 * The same expression and predicate must appear in queries for the planner to use it.
 */
export async function ensureEmbeddingIndex(
  { sequelize, transaction }: SystemTransaction,
  { model, dimensions }: { model: string; dimensions: number },
): Promise<void> {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 2000) {
    throw new Error(`Embedding dimensions ${dimensions} cannot be indexed with HNSW (1-2000).`)
  }
  const literal = sequelize.escape(model)
  await sequelize.query(
    `CREATE INDEX IF NOT EXISTS ${embeddingIndexName(model)} ON knowledge_chunks
       USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops) WHERE embedding_model = ${literal}`,
    { transaction },
  )
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

/** Reciprocal rank fusion constant (Cormack et al. use 60). */
const rrfK = 60

/**
 * Hybrid retrieval in the current workspace: nearest chunks by cosine distance on the model's
 * HNSW index, plus full-text matches (`websearch_to_tsquery`, `ts_rank_cd`), fused by reciprocal
 * rank. Row-level security scopes both legs. With pgvector >= 0.8 the index scan is iterative
 * (`hnsw.iterative_scan`), so filtering by workspace (RLS) and collection after the scan cannot
 * starve the result of rows.
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
    minSimilarity = 0,
  }: {
    text: string
    embedding: number[] | undefined
    embeddingModel: string
    k: number
    collectionIds?: string[] | undefined
    candidates?: number
    iterativeScan: boolean
    /** Vector matches below this cosine similarity are dropped (they are not about the query). */
    minSimilarity?: number
  },
): Promise<ChunkHit[]> {
  const dimensions = embedding?.length ?? 0
  if (iterativeScan) {
    await tenant.sequelize.query(
      "SET LOCAL hnsw.iterative_scan = 'relaxed_order'; SET LOCAL hnsw.ef_search = 100",
      {
        transaction: tenant.transaction,
      },
    )
  }
  const collectionFilter = collectionIds?.length
    ? 'AND c.document_id IN (SELECT id FROM knowledge_documents WHERE collection_id IN (:collectionIds))'
    : ''
  const vectorLeg = embedding
    ? `vector_hits AS (
         SELECT id, row_number() OVER (ORDER BY distance) AS rank FROM (
           SELECT c.id, (c.embedding::vector(${dimensions})) <=> CAST(:embedding AS vector(${dimensions})) AS distance
             FROM knowledge_chunks c
            WHERE c.embedding_model = :embeddingModel ${collectionFilter}
            ORDER BY (c.embedding::vector(${dimensions})) <=> CAST(:embedding AS vector(${dimensions}))
            LIMIT :candidates) nearest
          WHERE distance <= :maxDistance),`
    : 'vector_hits AS (SELECT NULL::uuid AS id, NULL::bigint AS rank WHERE false),'
  return select<ChunkHit>(
    tenant,
    `WITH ${vectorLeg}
     text_hits AS (
       SELECT id, row_number() OVER (ORDER BY relevance DESC) AS rank FROM (
         SELECT c.id, ts_rank_cd(c.search_vector, query) AS relevance
           FROM knowledge_chunks c, websearch_to_tsquery('english', :text) query
          WHERE c.search_vector @@ query ${collectionFilter}
          ORDER BY relevance DESC
          LIMIT :candidates) matched),
     fused AS (
       SELECT id, sum(1.0 / (${rrfK} + rank)) AS score
         FROM (SELECT id, rank FROM vector_hits UNION ALL SELECT id, rank FROM text_hits) hits
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
      k,
      candidates,
      maxDistance: 1 - minSimilarity,
      collectionIds: collectionIds ?? [],
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
