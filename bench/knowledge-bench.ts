/**
 * Knowledge bench (issue 4): ingestion throughput over the real document fixtures, and hybrid
 * retrieval latency and HNSW recall at scale, each against a floor measured in the same process on
 * the same database.
 *
 *   - Ingestion: `processDocument` (parse -> chunk -> lexical embed -> write) per fixture, over
 *     several rounds (a new workspace each round: identical content is deduplicated per
 *     workspace), against parsing alone. Reports PDF pages/s (target >= 20), all pages/s and
 *     chunks/s.
 *   - Retrieval: 10 workspaces, one with BENCH_KNOWLEDGE_CHUNKS chunks (default 100k on a real
 *     server, 10k embedded) and nine with a tenth of that each, synthetic text with a Zipf-like
 *     vocabulary, lexical vectors of 256 dimensions, the per-model HNSW index built after loading.
 *     200 queries (windows of chunk text, some paraphrased): hybrid search end to end and as SQL
 *     alone against exact vector search (target p95 < 50 ms), and recall@10 of the HNSW leg against
 *     exact search (target >= 0.95), with a sweep of `hnsw.ef_search` (each row says whether the
 *     planner used the index: pgvector 0.8 costs ef_search in and may switch to an exact scan). The
 *     same, without the end-to-end row, in one of the small workspaces.
 *
 * Environment: BENCH_KNOWLEDGE_CHUNKS (big workspace size), BENCH_KNOWLEDGE_QUERIES (200),
 * BENCH_KNOWLEDGE_ROUNDS (ingestion rounds, 5), BENCH_KNOWLEDGE_EF_SEARCH (40,100,200,400,1000),
 * BENCH_KNOWLEDGE_MAINTENANCE_WORK_MEM (for the index build, 512MB).
 *
 * Progress goes to stderr; the tables go to `log`; the result rows are returned.
 */
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { QueryTypes } from 'sequelize'
import { createLogger, systemClock } from '../core/index.ts'
import {
  createKnowledgeDocument,
  createWorkspace,
  type Database,
  defaultEfSearch,
  embeddingIndexName,
  ensureEmbeddingIndex,
  ensureTenantEmbeddingIndex,
  type HnswBuildParameters,
  hnswBuild,
  type NewChunk,
  replaceDocumentChunks,
  searchKnowledgeChunks,
  supportsIterativeScan,
  type TenantTransaction,
  tenantEmbeddingIndexName,
  tenantHnswBuild,
  tenantIndexDistance,
  tenantIndexThreshold,
  type VectorStrategy,
} from '../db/index.ts'
import { buildEmbeddingText } from '../ingest/chunk-document.ts'
import type { Embedder } from '../ingest/embedders/embedder.ts'
import { createLexicalEmbedder } from '../ingest/embedders/lexical-embedder.ts'
import { createKnowledgeService, vectorLegSettings } from '../ingest/index.ts'
import { parseDocument } from '../ingest/parsers/index.ts'
import { settleKnowledgeTables } from './bench-harness.ts'
import { createRandom, createSyntheticCorpus, queryFromChunk, randomInt } from './knowledge-corpus.ts'
import { type Measurement, measure } from './measure.ts'

export interface KnowledgeBenchOptions {
  database: Database
  mode: 'embedded' | 'postgres'
  log: (line: string) => void
}

type Row = Record<string, unknown>

/** Fixtures that must fail (encrypted, empty, whitespace only, a scan without text). */
const expectedFailures = new Set([
  'password.pdf',
  'empty.txt',
  'fake-text-all-whitespace.txt',
  'loremipsum-flat.pdf',
])
const fixturesDirectory = fileURLToPath(new URL('../test/fixtures/documents/', import.meta.url))

const targets = { pdfPagesPerSecond: 20, hybridP95Ms: 50, recallAt10: 0.95 }

const progress = (line: string) => process.stderr.write(`[knowledge-bench] ${line}\n`)
const round1 = (value: number) => Math.round(value * 10) / 10
const round3 = (value: number) => Math.round(value * 1000) / 1000
const ratio = (value: number, floor: number) => Math.round((value / floor) * 100) / 100
const median = (values: number[]) => {
  const sorted = [...values].sort((left, right) => left - right)
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0
}

export async function runKnowledgeBench({ database, mode, log }: KnowledgeBenchOptions): Promise<Row[]> {
  const rows: Row[] = []
  rows.push(...(await runIngestionBench({ database, mode, log })))
  rows.push(...(await runRetrievalBench({ database, mode, log })))
  return rows
}

async function newWorkspace(database: Database, name: string): Promise<string> {
  const suffix = randomBytes(3).toString('hex')
  const workspace = await database.withSystem((system) =>
    createWorkspace(system, { name, slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${suffix}` }),
  )
  return workspace.id
}

// ---------------------------------------------------------------------------------------------
// Ingestion

interface FixtureStats {
  fileName: string
  mimeType: string
  pdf: boolean
  pages: number
  chunks: number
  parseMs: number[]
  processMs: number[]
  failure?: string | undefined
}

async function runIngestionBench({ database, mode, log }: KnowledgeBenchOptions): Promise<Row[]> {
  const rounds = Number(process.env.BENCH_KNOWLEDGE_ROUNDS ?? 5)
  const names = (await readdir(fixturesDirectory))
    .filter((name) => name !== 'README.md' && !expectedFailures.has(name))
    .sort()
  const fixtures = await Promise.all(
    names.map(async (fileName) => ({
      fileName,
      bytes: new Uint8Array(await readFile(`${fixturesDirectory}${fileName}`)),
    })),
  )
  const knowledge = createKnowledgeService({
    database,
    embedder: createLexicalEmbedder(),
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    // A scheduler that does nothing: the bench calls processDocument itself, timed.
    scheduler: { enqueue: async () => {} },
    maxUploadBytes: 25 * 1024 * 1024,
    allowPrivateUrls: false,
  })
  const stats = new Map<string, FixtureStats>()
  // Round 0 warms up (module loading, pdf.js, the tokenizer, the 512-d model's index creation).
  for (let round = 0; round <= rounds; round += 1) {
    progress(`ingestion round ${round}/${rounds}${round === 0 ? ' (warm-up)' : ''}`)
    const workspaceId = await newWorkspace(database, `Knowledge ingest bench ${round}`)
    const context = { workspaceId }
    for (const { fileName, bytes } of fixtures) {
      let started = performance.now()
      const parsed = await parseDocument({ bytes, fileName })
      const parseMs = performance.now() - started
      const { document } = await knowledge.addDocument({ context, source: { kind: 'file', bytes, fileName } })
      started = performance.now()
      const processed = await knowledge.processDocument({ workspaceId, documentId: document.id })
      const processMs = performance.now() - started
      const entry = stats.get(fileName) ?? {
        fileName,
        mimeType: parsed.mimeType,
        pdf: parsed.mimeType === 'application/pdf',
        pages: 0,
        chunks: 0,
        parseMs: [],
        processMs: [],
      }
      stats.set(fileName, entry)
      if (processed?.document.status !== 'ready') {
        entry.failure = processed?.document.error ?? 'not processed'
        continue
      }
      entry.pages = processed.pages
      entry.chunks = processed.chunks
      if (round > 0) {
        entry.parseMs.push(parseMs)
        entry.processMs.push(processMs)
      }
    }
  }

  log(`\nKnowledge ingestion (${mode} database, ${rounds} rounds after a warm-up, lexical embedder 512-d)\n`)
  log(
    `${'file'.padEnd(42)}${'pages'.padStart(6)}${'chunks'.padStart(7)}${'parse p50 ms'.padStart(14)}${'ingest p50 ms'.padStart(15)}${'x parse'.padStart(9)}`,
  )
  const ready = [...stats.values()].filter((entry) => !entry.failure)
  for (const entry of stats.values()) {
    if (entry.failure) {
      log(`${entry.fileName.padEnd(42)}  FAILED: ${entry.failure}`)
      continue
    }
    const parseP50 = median(entry.parseMs)
    const processP50 = median(entry.processMs)
    log(
      `${entry.fileName.padEnd(42)}${String(entry.pages).padStart(6)}${String(entry.chunks).padStart(7)}${parseP50.toFixed(1).padStart(14)}${processP50.toFixed(1).padStart(15)}${ratio(processP50, parseP50).toFixed(2).padStart(9)}`,
    )
  }

  const rows: Row[] = []
  const summarize = (name: string, set: FixtureStats[], target?: number) => {
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0)
    const pages = sum(set.map((entry) => entry.pages)) * rounds
    const chunks = sum(set.map((entry) => entry.chunks)) * rounds
    const processSeconds = sum(set.flatMap((entry) => entry.processMs)) / 1000
    const parseSeconds = sum(set.flatMap((entry) => entry.parseMs)) / 1000
    const row: Row = {
      bench: name,
      database: mode,
      rounds,
      documents: set.length,
      pages,
      chunks,
      seconds: round3(processSeconds),
      pages_per_s: round1(pages / processSeconds),
      chunks_per_s: round1(chunks / processSeconds),
      floor: 'parse only (parseDocument)',
      floor_seconds: round3(parseSeconds),
      floor_pages_per_s: round1(pages / parseSeconds),
      ratio_time: ratio(processSeconds, parseSeconds),
      ...(target === undefined
        ? {}
        : { target_pages_per_s: target, meets_target: pages / processSeconds >= target }),
    }
    rows.push(row)
  }
  summarize(
    'knowledge ingestion: PDF fixtures',
    ready.filter((entry) => entry.pdf),
    targets.pdfPagesPerSecond,
  )
  summarize('knowledge ingestion: all fixtures', ready)
  summarize(
    'knowledge ingestion: non-PDF fixtures',
    ready.filter((entry) => !entry.pdf),
  )
  log('')
  log(
    `${'set'.padEnd(42)}${'docs'.padStart(6)}${'pages'.padStart(7)}${'chunks'.padStart(8)}${'pages/s'.padStart(9)}${'chunks/s'.padStart(10)}${'parse-only pages/s'.padStart(20)}${'x floor'.padStart(9)}`,
  )
  for (const row of rows) {
    log(
      `${String(row.bench).padEnd(42)}${String(row.documents).padStart(6)}${String(row.pages).padStart(7)}${String(row.chunks).padStart(8)}${String(row.pages_per_s).padStart(9)}${String(row.chunks_per_s).padStart(10)}${String(row.floor_pages_per_s).padStart(20)}${String(row.ratio_time).padStart(9)}`,
    )
  }
  log(
    `(x floor = ingest time / parse-only time; target >= ${targets.pdfPagesPerSecond} PDF pages/s: ${rows[0]?.meets_target ? 'met' : 'NOT met'})`,
  )
  return rows
}

// ---------------------------------------------------------------------------------------------
// Synthetic knowledge at scale (also used by the turn bench)

/** Options of {@link loadSyntheticChunks}. */
export interface LoadSyntheticChunksOptions {
  database: Database
  /** The workspaces to fill, one per entry of `sizes`. */
  workspaceIds: string[]
  /** How many chunks each workspace gets. */
  sizes: number[]
  /** Embeds the chunks; its `model` is what the chunks are stored under. */
  embedder: Embedder
  /** Chunks per document (default 100). */
  chunksPerDocument?: number
  /** The corpus seed (default 42): the same seed gives the same text. */
  seed?: number
  /** Called with every chunk as it is generated (e.g. to keep some as sources of queries). */
  onChunk?: (chunk: { workspace: number; document: number; position: number; text: string }) => void
  progress?: (line: string) => void
}

/** What {@link loadSyntheticChunks} wrote and how long it took. */
export interface LoadedSyntheticChunks {
  chunks: number
  documents: number
  seconds: number
  /** Of `seconds`, the time spent in the embedder. */
  embedSeconds: number
}

/**
 * Fills workspaces with synthetic documents of the seeded corpus (knowledge-corpus.ts), embedded by
 * `embedder` and written with `replaceDocumentChunks` as ingestion does (ready documents, no
 * indexes built: callers build the ones they need after loading, which is much faster). Documents of
 * the workspaces are interleaved in proportion, as tenants writing at the same time would; two
 * documents are in flight, one generated and embedded while the other is written.
 */
export async function loadSyntheticChunks({
  database,
  workspaceIds,
  sizes,
  embedder,
  chunksPerDocument = 100,
  seed = 42,
  onChunk,
  progress: report = () => {},
}: LoadSyntheticChunksOptions): Promise<LoadedSyntheticChunks> {
  const documentCounts = sizes.map((size) => Math.ceil(size / chunksPerDocument))
  const jobs = documentCounts
    .flatMap((count, workspace) =>
      Array.from({ length: count }, (_, document) => ({
        workspace,
        document,
        order: (document + 0.5) / count,
      })),
    )
    .sort((left, right) => left.order - right.order || left.workspace - right.workspace)
  const totalChunks = sizes.reduce((total, size) => total + size, 0)
  const corpus = createSyntheticCorpus(seed)
  let embedMs = 0
  let loaded = 0
  let nextJob = 0
  let nextReport = 0.1
  const loadStarted = performance.now()
  const worker = async () => {
    while (nextJob < jobs.length) {
      const job = jobs[nextJob++]!
      const remaining = sizes[job.workspace]! - job.document * chunksPerDocument
      const count = Math.min(chunksPerDocument, remaining)
      corpus.startDocument()
      const title = `${corpus.phrase()} report ${job.document + 1}`
      let headingPath = [corpus.phrase()]
      const texts: { text: string; words: number; headingPath: string[] }[] = []
      for (let position = 0; position < count; position += 1) {
        if (position > 0 && position % 20 === 0) headingPath = [corpus.phrase()]
        const chunk = corpus.chunk()
        texts.push({ ...chunk, headingPath })
        onChunk?.({ workspace: job.workspace, document: job.document, position, text: chunk.text })
      }
      const embedStarted = performance.now()
      const embeddings = await embedder.embed(
        texts.map(({ text, headingPath }) => buildEmbeddingText({ title, headingPath, text })),
      )
      embedMs += performance.now() - embedStarted
      const chunks: NewChunk[] = texts.map(({ text, words, headingPath }, position) => ({
        position,
        text,
        context: [title, ...headingPath].join(' > '),
        headingPath,
        page: undefined,
        pageEnd: undefined,
        tokenCount: Math.round(words * 1.3),
        embedding: embeddings[position]!,
      }))
      await database.withTenant({ workspaceId: workspaceIds[job.workspace]! }, async (tenant) => {
        const document = await createKnowledgeDocument(tenant, {
          title,
          sourceType: 'text',
          createdById: null,
        })
        await replaceDocumentChunks(tenant, {
          documentId: document.id,
          chunks,
          embeddingModel: embedder.model,
          pageCount: undefined,
          now: new Date(),
        })
      })
      loaded += count
      if (loaded / totalChunks >= nextReport) {
        report(
          `  ${loaded} chunks, ${Math.round(loaded / ((performance.now() - loadStarted) / 1000))} chunks/s`,
        )
        nextReport += 0.1
      }
    }
  }
  await Promise.all([worker(), worker()])
  return {
    chunks: totalChunks,
    documents: jobs.length,
    seconds: (performance.now() - loadStarted) / 1000,
    embedSeconds: embedMs / 1000,
  }
}

// ---------------------------------------------------------------------------------------------
// Retrieval at scale

/** A retrieval bench query: a window of a chunk's text (some paraphrased) and its embedding. */
export interface BenchQuery {
  text: string
  /** The text of the chunk the query was taken from: what a member typing it is looking for. */
  source: string
  paraphrased: boolean
  embedding: number[]
  /** `embedding` as a pgvector literal. */
  literal: string
}

/** Options of {@link createBenchQueries}. */
export interface BenchQueriesOptions {
  /** Documents per workspace, as loadSyntheticChunks will write them. */
  documentCounts: number[]
  chunksPerDocument: number
  /** The workspaces (indexes into `documentCounts`) that get queries, in this order. */
  workspaces: number[]
  /** Queries per workspace. */
  queryCount: number
}

/** The retrieval bench's queries, chosen before loading (so no chunk text has to be kept). */
export interface BenchQueries {
  /** For loadSyntheticChunks' `onChunk`: keeps the text of the chosen chunks. */
  onChunk: NonNullable<LoadSyntheticChunksOptions['onChunk']>
  /** The chosen chunks (document index, position), e.g. to read their text back from a loaded database. */
  picked: { workspace: number; document: number; position: number }[]
  /**
   * The queries of one workspace, after loading, embedded by `embedder`. Call in the order of
   * `workspaces` for the same queries as the knowledge bench (one seeded random stream).
   */
  queriesFor(options: { workspace: number; embedder: Embedder }): Promise<BenchQuery[]>
}

/**
 * Picks the chunks the queries are taken from (seeded: every run and every bench that uses it gets
 * the same ones) and, after loading, turns them into queries with `queryFromChunk` (3 in 10
 * paraphrased).
 */
export function createBenchQueries({
  documentCounts,
  chunksPerDocument,
  workspaces,
  queryCount,
}: BenchQueriesOptions): BenchQueries {
  const queryRandom = createRandom(20_261_122)
  const picks = new Map<string, { workspace: number; slot: number }[]>()
  for (const workspace of workspaces) {
    for (let slot = 0; slot < queryCount; slot += 1) {
      const document = randomInt(queryRandom, 0, documentCounts[workspace]! - 1)
      const chunk = randomInt(queryRandom, 0, chunksPerDocument - 1)
      const key = `${workspace}:${document}:${chunk}`
      picks.set(key, [...(picks.get(key) ?? []), { workspace, slot }])
    }
  }
  const sourceTexts = new Map(workspaces.map((workspace) => [workspace, new Array<string>(queryCount)]))
  return {
    picked: [...picks.keys()].map((key) => {
      const [workspace, document, position] = key.split(':').map(Number)
      return { workspace: workspace!, document: document!, position: position! }
    }),
    onChunk: ({ workspace, document, position, text }) => {
      for (const pick of picks.get(`${workspace}:${document}:${position}`) ?? []) {
        sourceTexts.get(pick.workspace)![pick.slot] = text
      }
    },
    async queriesFor({ workspace, embedder }) {
      const queries: BenchQuery[] = []
      for (const [slot, source] of (sourceTexts.get(workspace) ?? []).entries()) {
        // A pick past the end of a short last document (tiny BENCH_KNOWLEDGE_CHUNKS) has no text.
        if (source === undefined) continue
        const paraphrased = slot % 10 >= 7
        const text = queryFromChunk(queryRandom, source, paraphrased)
        const [embedding] = await embedder.embed([text])
        queries.push({
          text,
          source,
          paraphrased,
          embedding: embedding!,
          literal: `[${embedding!.join(',')}]`,
        })
      }
      sourceTexts.delete(workspace)
      return queries
    },
  }
}

export interface Hit {
  id: string
  distance: number
}

/** Rows of a raw SELECT in the caller's transaction (tenant or system). */
export async function tenantSelect<Result extends object>(
  tenant: Pick<TenantTransaction, 'sequelize' | 'transaction'>,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<Result[]> {
  return (await tenant.sequelize.query(sql, {
    replacements,
    transaction: tenant.transaction,
    type: QueryTypes.SELECT,
  })) as Result[]
}

/** "16/128,32/200" (m/ef_construction pairs) from the environment variable `variable` -> build parameters. */
export function parseHnswBuilds({
  variable,
  list,
}: {
  variable: string
  list: string
}): HnswBuildParameters[] {
  return list.split(',').map((entry) => {
    const [m, efConstruction] = entry.trim().split('/').map(Number)
    if (!m || !efConstruction) throw new Error(`${variable}: expected m/ef_construction, got "${entry}"`)
    return { m, efConstruction }
  })
}

/**
 * Recall@10 against exact search: the share of the exact top 10 (ids) returned; `top1`, how often
 * the exact nearest chunk is among them; `near`, the share of returned chunks at most 1% farther
 * than the exact 10th (so near-ties do not count as misses); `tieAware`, recall as ann-benchmarks
 * defines it: a returned chunk counts when its distance is at most the exact 10th distance + 0.001
 * (two chunks that tie with the 10th are equally right answers).
 */
export function vectorRecallOf(
  found: Hit[][],
  exact: Hit[][],
): { recall: number; top1: number; near: number; tieAware: number } {
  let recall = 0
  let top1 = 0
  let near = 0
  let tieAware = 0
  for (const [index, expected] of exact.entries()) {
    const ids = new Set(expected.map((hit) => hit.id))
    const hits = found[index] ?? []
    const tenth = expected.at(-1)?.distance ?? 0
    const within = (limit: number) =>
      expected.length === 0
        ? 1
        : Math.min(1, hits.filter((hit) => hit.distance <= limit).length / expected.length)
    recall += ids.size === 0 ? 1 : hits.filter((hit) => ids.has(hit.id)).length / ids.size
    top1 += expected.length === 0 || hits.some((hit) => hit.id === expected[0]!.id) ? 1 : 0
    near += within(tenth * 1.01 + 1e-9)
    tieAware += within(tenth + annBenchmarksEpsilon)
  }
  const count = Math.max(1, exact.length)
  return {
    recall: round3(recall / count),
    top1: round3(top1 / count),
    near: round3(near / count),
    tieAware: round3(tieAware / count),
  }
}

/** ann-benchmarks' distance tolerance for its k-NN recall (`epsilon=1e-3` in its metrics). */
const annBenchmarksEpsilon = 1e-3

async function runRetrievalBench({ database, mode, log }: KnowledgeBenchOptions): Promise<Row[]> {
  const bigChunks = Number(process.env.BENCH_KNOWLEDGE_CHUNKS ?? (mode === 'postgres' ? 100_000 : 10_000))
  const queryCount = Number(process.env.BENCH_KNOWLEDGE_QUERIES ?? 200)
  const maintenanceWorkMem = process.env.BENCH_KNOWLEDGE_MAINTENANCE_WORK_MEM ?? '512MB'
  // The sweep always includes the code's setting (defaultEfSearch).
  const efSearchValues = (
    process.env.BENCH_KNOWLEDGE_EF_SEARCH?.split(',').map(Number) ?? [100, 200, 400, 800]
  )
    .concat(process.env.BENCH_KNOWLEDGE_EF_SEARCH ? [] : [defaultEfSearch])
    .filter((value, index, values) => values.indexOf(value) === index)
    .sort((left, right) => left - right)
  const workspaceCount = 10
  const chunksPerDocument = 100
  const dimensions = 256
  const k = 10
  const embedder = createLexicalEmbedder({ dimensions })
  const model = embedder.model

  // Workspace 0 is the big one (its own index); 1..9 hold a twentieth of its chunks each, below the
  // own-index threshold at the default size (searched exactly). Workspace 1 is measured too.
  const sizes = Array.from({ length: workspaceCount }, (_, index) =>
    index === 0 ? bigChunks : Math.max(chunksPerDocument, Math.round(bigChunks / 20)),
  )
  const workspaceIds: string[] = []
  for (let index = 0; index < workspaceCount; index += 1) {
    workspaceIds.push(await newWorkspace(database, `Knowledge retrieval bench ${index}`))
  }
  const documentCounts = sizes.map((size) => Math.ceil(size / chunksPerDocument))

  // The chunks queries are taken from (workspaces 0 and 1), chosen before loading so no text is kept.
  const measured = [0, 1]
  const benchQueries = createBenchQueries({
    documentCounts,
    chunksPerDocument,
    workspaces: measured,
    queryCount,
  })

  const totalChunks = sizes.reduce((total, size) => total + size, 0)
  progress(
    `loading ${totalChunks} chunks (${bigChunks} in the big workspace, ${sizes[1]} in 9 others), ${documentCounts.reduce((total, count) => total + count, 0)} documents`,
  )
  const loaded = await loadSyntheticChunks({
    database,
    workspaceIds,
    sizes,
    embedder,
    chunksPerDocument,
    progress,
    onChunk: benchQueries.onChunk,
  })
  const { seconds: loadSeconds, embedSeconds } = loaded

  progress('VACUUM (ANALYZE)')
  const analyzeSeconds = await settleKnowledgeTables(database)

  progress(`building the HNSW index (maintenance_work_mem ${maintenanceWorkMem})`)
  let started = performance.now()
  await database.withSystem((system) =>
    ensureEmbeddingIndex(system, { model, dimensions, maintenanceWorkMem }),
  )
  const indexSeconds = (performance.now() - started) / 1000
  // Workspaces at or above the threshold get their own index, as the ingest path does.
  const ownIndex = sizes.map((size) => size >= tenantIndexThreshold)
  progress(`building ${ownIndex.filter(Boolean).length} workspace index(es)`)
  started = performance.now()
  for (const [workspace, indexed] of ownIndex.entries()) {
    if (!indexed) continue
    await database.withSystem((system) =>
      ensureTenantEmbeddingIndex(system, {
        model,
        dimensions,
        workspaceId: workspaceIds[workspace]!,
        maintenanceWorkMem,
      }),
    )
  }
  const tenantIndexSeconds = (performance.now() - started) / 1000
  const [sizesRow] = await database.withSystem(({ sequelize, transaction }) =>
    sequelize.query(
      `SELECT pg_relation_size(:index)::float8 / 1048576 AS "indexMb",
              coalesce(pg_relation_size(to_regclass(:tenantIndex)), 0)::float8 / 1048576 AS "tenantIndexMb",
              pg_total_relation_size('knowledge_chunks')::float8 / 1048576 AS "tableMb",
              (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS "pgvector",
              current_setting('server_version') AS "server", current_setting('jit') AS jit`,
      {
        replacements: {
          index: embeddingIndexName(model),
          tenantIndex: tenantEmbeddingIndexName({ model, workspaceId: workspaceIds[0]! }),
        },
        transaction,
        type: QueryTypes.SELECT,
      },
    ),
  )
  const info = sizesRow as {
    indexMb: number
    tenantIndexMb: number
    tableMb: number
    pgvector: string
    server: string
    jit: string
  }
  const iterativeScan = await database.withSystem((system) => supportsIterativeScan(system))

  const rows: Row[] = [
    {
      bench: 'knowledge load: synthetic chunks (generate + lexical embed 256-d + replaceDocumentChunks)',
      database: mode,
      workspaces: workspaceCount,
      chunks: totalChunks,
      documents: loaded.documents,
      seconds: round3(loadSeconds),
      chunks_per_s: round1(totalChunks / loadSeconds),
      embed_seconds: round3(embedSeconds),
      analyze_seconds: round3(analyzeSeconds),
      table_mb: round1(info.tableMb),
    },
    {
      bench: 'knowledge HNSW index build (after load)',
      database: mode,
      model,
      dimensions,
      rows: totalChunks,
      seconds: round3(indexSeconds),
      index_mb: round1(info.indexMb),
      big_workspace_index_rows: ownIndex[0] ? bigChunks : 0,
      big_workspace_index_seconds: round3(tenantIndexSeconds),
      big_workspace_index_mb: round1(info.tenantIndexMb),
      maintenance_work_mem: maintenanceWorkMem,
      pgvector: info.pgvector,
      server: info.server,
    },
  ]
  log(
    `\nKnowledge retrieval (${mode} database: PostgreSQL ${info.server}, pgvector ${info.pgvector}, jit ${info.jit}; ` +
      `iterative scan ${iterativeScan ? 'on' : 'unavailable'})`,
  )
  log(
    `load: ${totalChunks} chunks in ${workspaceCount} workspaces (${bigChunks} + 9 x ${sizes[1]}), ${loaded.documents} documents, ` +
      `${loadSeconds.toFixed(1)} s = ${round1(totalChunks / loadSeconds)} chunks/s (of which lexical embedding ${embedSeconds.toFixed(1)} s); ` +
      `VACUUM (ANALYZE) ${analyzeSeconds.toFixed(1)} s; table ${round1(info.tableMb)} MB`,
  )
  log(
    `HNSW indexes (${model}, maintenance_work_mem ${maintenanceWorkMem}): shared per-model index (vector, m ${hnswBuild.m}, ef_construction ${hnswBuild.efConstruction}) over all ${totalChunks} rows built in ${indexSeconds.toFixed(1)} s, ${round1(info.indexMb)} MB; ` +
      `the big workspace's own index (halfvec, m ${tenantHnswBuild.m}, ef_construction ${tenantHnswBuild.efConstruction}; ${ownIndex[0] ? bigChunks : 0} rows) in ${tenantIndexSeconds.toFixed(1)} s, ${round1(info.tenantIndexMb)} MB`,
  )

  const knowledge = createKnowledgeService({
    database,
    embedder,
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    scheduler: { enqueue: async () => {} },
    maxUploadBytes: 25 * 1024 * 1024,
    allowPrivateUrls: false,
  })

  for (const workspace of measured) {
    const context = { workspaceId: workspaceIds[workspace]! }
    const queries = await benchQueries.queriesFor({ workspace, embedder })
    const label =
      workspace === 0
        ? `big workspace, ${sizes[0]} chunks${ownIndex[0] ? ', own HNSW index' : ', exact search'}`
        : `small workspace, ${sizes[1]} chunks${ownIndex[1] ? ', own HNSW index' : ', exact search'}`
    progress(`measuring in the ${label}`)
    rows.push(
      ...(await measureRetrieval({
        database,
        mode,
        log,
        knowledge,
        context,
        queries,
        label,
        endToEnd: workspace === 0,
        indexed: ownIndex[workspace]!,
        chunksInWorkspace: sizes[workspace]!,
        totalChunks,
        model,
        dimensions,
        k,
        iterativeScan,
        efSearchValues,
      })),
    )
  }
  return rows
}

async function measureRetrieval({
  database,
  mode,
  log,
  knowledge,
  context,
  queries,
  label,
  endToEnd,
  indexed,
  chunksInWorkspace,
  totalChunks,
  model,
  dimensions,
  k,
  iterativeScan,
  efSearchValues,
}: KnowledgeBenchOptions & {
  knowledge: ReturnType<typeof createKnowledgeService>
  context: { workspaceId: string }
  queries: BenchQuery[]
  label: string
  /** Also measure searchKnowledge end to end (query embedding included). */
  endToEnd: boolean
  /** The workspace has its own HNSW index: sweep ef_search on it. */
  indexed: boolean
  chunksInWorkspace: number
  totalChunks: number
  model: string
  dimensions: number
  k: number
  iterativeScan: boolean
  efSearchValues: number[]
}): Promise<Row[]> {
  const runs = queries.length
  const warmup = Math.min(20, runs)
  /** Cycles through the queries; after the warm-up every query is timed exactly once. */
  const cycling = (operation: (query: BenchQuery, index: number) => Promise<unknown>) => {
    let next = 0
    return () => {
      const index = next++ % queries.length
      return operation(queries[index]!, index)
    }
  }
  const exactTop: Hit[][] = []
  const floor = await measure({
    name: 'exact vector search, top 10 (floor)',
    runs,
    warmup,
    // `embedding <=> q` instead of the index expression `(embedding::vector(N)) <=> q`: the HNSW
    // index cannot serve it, so this computes the distance to every chunk of the tenant.
    operation: cycling(async (query, index) => {
      exactTop[index] = await database.withTenant(context, (tenant) =>
        tenantSelect<Hit>(
          tenant,
          `SELECT c.id, (c.embedding <=> CAST(:embedding AS vector)) AS distance
             FROM knowledge_chunks c
            WHERE c.embedding_model = :model
            ORDER BY c.embedding <=> CAST(:embedding AS vector), c.id
            LIMIT :k`,
          { embedding: query.literal, model, k },
        ),
      )
    }),
  })

  // The workspace index's leg as searchKnowledgeChunks runs it: ordered by what the index serves,
  // with each candidate's full-precision distance.
  const vectorSql = `SELECT c.id, c.embedding <=> CAST(:embedding AS vector) AS distance
       FROM knowledge_chunks c
      WHERE c.workspace_id = :workspaceId AND c.embedding_model = :model
      ORDER BY ${tenantIndexDistance({ dimensions })}
      LIMIT :limit`
  const setSearch = (tenant: TenantTransaction, efSearch: number) =>
    tenant.sequelize.query(
      `${iterativeScan ? "SET LOCAL hnsw.iterative_scan = 'relaxed_order'; " : ''}SET LOCAL hnsw.ef_search = ${efSearch}`,
      { transaction: tenant.transaction },
    )
  /** The HNSW leg under the tenant, as searchKnowledgeChunks runs it but with a chosen ef_search. */
  const hnswTop = async (query: BenchQuery, efSearch: number, limit: number) =>
    database.withTenant(context, async (tenant) => {
      await setSearch(tenant, efSearch)
      const hits = await tenantSelect<Hit>(tenant, vectorSql, {
        embedding: query.literal,
        model,
        limit,
        workspaceId: context.workspaceId,
      })
      // Relaxed order: the index may return neighbours slightly out of order; re-sort, keep k.
      return hits.sort((left, right) => left.distance - right.distance).slice(0, k)
    })
  /** The planner's scans for the vector query at this ef_search (pgvector 0.8 costs ef_search in). */
  const vectorPlan = (efSearch: number, limit: number) =>
    database.withTenant(context, async (tenant) => {
      await setSearch(tenant, efSearch)
      return planScans(tenant, vectorSql, {
        embedding: queries[0]!.literal,
        model,
        limit,
        workspaceId: context.workspaceId,
      })
    })
  const recallOf = (found: Hit[][]) => vectorRecallOf(found, exactTop)

  const hybridEndToEnd = endToEnd
    ? await measure({
        name: 'hybrid search end to end (searchKnowledge)',
        runs,
        warmup,
        operation: cycling((query) => knowledge.searchKnowledge({ context, query: query.text, k })),
      })
    : undefined
  const searchSql = (query: BenchQuery, withVector: boolean, vectorStrategy?: VectorStrategy) =>
    database.withTenant(context, (tenant) =>
      searchKnowledgeChunks(tenant, {
        text: query.text,
        embedding: withVector ? query.embedding : undefined,
        embeddingModel: model,
        k,
        iterativeScan,
        // As searchKnowledge for the lexical embedder.
        ...vectorLegSettings('lexical'),
        vectorStrategy,
      }),
    )
  const emptyResults = { hybrid: new Set<number>(), text: new Set<number>() }
  const hybridFound: string[][] = []
  /** The texts each search returned, best first, to find the query's source chunk among them. */
  const returnedTexts = { hybrid: [] as string[][], hybridExact: [] as string[][], text: [] as string[][] }
  const hybridSql = await measure({
    name: 'hybrid search SQL alone (searchKnowledgeChunks)',
    runs,
    warmup,
    operation: cycling(async (query, index) => {
      const hits = await searchSql(query, true)
      hybridFound[index] = hits.map((hit) => hit.chunkId)
      returnedTexts.hybrid[index] = hits.map((hit) => hit.text)
      if (hits.length === 0) emptyResults.hybrid.add(index)
    }),
  })
  // What the assistant receives is the fused top 10: compare it with the same call on an exact
  // vector leg (in a workspace without its own index both are exact, so recall is 1).
  const hybridExactTop: string[][] = []
  const hybridExact = await measure({
    name: 'hybrid search SQL, exact vector leg (reference)',
    runs,
    warmup,
    operation: cycling(async (query, index) => {
      const hits = await searchSql(query, true, 'exact')
      hybridExactTop[index] = hits.map((hit) => hit.chunkId)
      returnedTexts.hybridExact[index] = hits.map((hit) => hit.text)
    }),
  })
  const hybridQuality = hybridRecallOf(hybridFound, hybridExactTop)
  const textSql = await measure({
    name: 'full-text leg alone (searchKnowledgeChunks, no vector)',
    runs,
    warmup,
    operation: cycling(async (query, index) => {
      const hits = await searchSql(query, false)
      returnedTexts.text[index] = hits.map((hit) => hit.text)
      if (hits.length === 0) emptyResults.text.add(index)
    }),
  })
  // After all three searches ran.
  const sourceFound = {
    hybrid: sourceFoundOf(returnedTexts.hybrid, queries),
    hybridExact: sourceFoundOf(returnedTexts.hybridExact, queries),
    text: sourceFoundOf(returnedTexts.text, queries),
  }
  // How knowledge_text_search's query runs (as its owner, with the explicit workspace filter).
  const textPlan = await database.withSystem((system) =>
    planScans(
      system,
      `SELECT c.id FROM knowledge_chunks c, websearch_to_tsquery('english', :text) query
        WHERE c.workspace_id = :workspaceId AND c.search_vector @@ query`,
      { text: queries[0]!.text, workspaceId: context.workspaceId },
    ),
  )

  const legLimit = Math.max(40, k * 4)
  const sweep: {
    efSearch: number
    measurement: Measurement
    quality: ReturnType<typeof recallOf>
    plan: string
  }[] = []
  // Exact search (a small workspace) has recall 1 by construction: nothing to sweep.
  for (const efSearch of indexed ? efSearchValues : []) {
    const found: Hit[][] = []
    const measurement = await measure({
      name: `HNSW top 10, ef_search ${efSearch}`,
      runs,
      warmup,
      operation: cycling(async (query, index) => {
        found[index] = await hnswTop(query, efSearch, k)
      }),
    })
    sweep.push({ efSearch, measurement, quality: recallOf(found), plan: await vectorPlan(efSearch, k) })
  }
  // What searchKnowledgeChunks' vector leg does: LIMIT max(40, 4k) candidates at the default ef_search,
  // ranked by distance; its top 10.
  const legFound: Hit[][] = []
  const leg = indexed
    ? await measure({
        name: `HNSW vector leg (LIMIT ${legLimit}, top 10), ef_search ${defaultEfSearch}`,
        runs,
        warmup,
        operation: cycling(async (query, index) => {
          legFound[index] = await hnswTop(query, defaultEfSearch, legLimit)
        }),
      })
    : undefined
  const legQuality = recallOf(legFound)
  const legPlan = leg ? await vectorPlan(defaultEfSearch, legLimit) : ''

  const common = {
    database: mode,
    workspace: label,
    chunks_in_workspace: chunksInWorkspace,
    chunks_total: totalChunks,
    workspaces: 10,
    queries: queries.length,
    paraphrased_queries: queries.filter((query) => query.paraphrased).length,
    runs,
    k,
  }
  const pairRow = (measurement: Measurement, extra: Row = {}): Row => ({
    bench: `knowledge retrieval: ${measurement.name}`,
    ...common,
    p50_ms: measurement.p50Ms,
    p95_ms: measurement.p95Ms,
    mean_ms: measurement.meanMs,
    floor: floor.name,
    floor_p50_ms: floor.p50Ms,
    floor_p95_ms: floor.p95Ms,
    ratio_p50: ratio(measurement.p50Ms, floor.p50Ms),
    ratio_p95: ratio(measurement.p95Ms, floor.p95Ms),
    ...extra,
  })
  const qualityRow = (quality: ReturnType<typeof recallOf>, efSearch: number, plan: string): Row => ({
    ef_search: efSearch,
    plan,
    recall_at_10: quality.recall,
    exact_top1_found: quality.top1,
    recall_at_10_within_1pct: quality.near,
    recall_at_10_ann_benchmarks: quality.tieAware,
    target_recall: targets.recallAt10,
    meets_target: quality.recall >= targets.recallAt10,
  })
  const rows: Row[] = []
  if (hybridEndToEnd) {
    rows.push(
      pairRow(hybridEndToEnd, {
        target_p95_ms: targets.hybridP95Ms,
        meets_target: hybridEndToEnd.p95Ms < targets.hybridP95Ms,
      }),
    )
  }
  rows.push(
    pairRow(hybridSql, {
      target_p95_ms: targets.hybridP95Ms,
      meets_target: hybridSql.p95Ms < targets.hybridP95Ms,
      queries_without_results: emptyResults.hybrid.size,
      ef_search: defaultEfSearch,
      hybrid_recall_at_10: hybridQuality.recall,
      hybrid_exact_top1_found: hybridQuality.top1,
      hybrid_recall_reference: hybridExact.name,
      source_in_top_10: sourceFound.hybrid.inTop,
      source_first: sourceFound.hybrid.first,
    }),
    pairRow(hybridExact, {
      source_in_top_10: sourceFound.hybridExact.inTop,
      source_first: sourceFound.hybridExact.first,
    }),
    pairRow(textSql, {
      queries_without_results: emptyResults.text.size,
      text_match_plan: textPlan,
      source_in_top_10: sourceFound.text.inTop,
      source_first: sourceFound.text.first,
    }),
    ...sweep.map((entry) =>
      pairRow(entry.measurement, qualityRow(entry.quality, entry.efSearch, entry.plan)),
    ),
    ...(leg ? [pairRow(leg, qualityRow(legQuality, defaultEfSearch, legPlan))] : []),
  )

  log(`\n${label} (1 of 10 workspaces, ${totalChunks} chunks in all), ${queries.length} queries, k = ${k}\n`)
  log(
    `${'operation'.padEnd(56)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'x floor p50'.padStart(13)}${'recall@10'.padStart(11)}${'top-1 found'.padStart(13)}${'within 1%'.padStart(11)}${'ε 1e-3'.padStart(9)}  plan`,
  )
  const line = (
    measurement: Measurement,
    quality?: { recall: number; top1: number; near?: number; tieAware?: number },
    plan = '',
  ) =>
    log(
      `${measurement.name.padEnd(56)}${measurement.p50Ms.toFixed(2).padStart(9)}${measurement.p95Ms.toFixed(2).padStart(9)}${(measurement === floor ? '' : ratio(measurement.p50Ms, floor.p50Ms).toFixed(2)).padStart(13)}` +
        `${(quality?.recall.toFixed(3) ?? '').padStart(11)}${(quality?.top1.toFixed(3) ?? '').padStart(13)}${(quality?.near?.toFixed(3) ?? '').padStart(11)}${(quality?.tieAware?.toFixed(3) ?? '').padStart(9)}${plan ? `  ${plan}` : ''}`,
    )
  line(floor, { recall: 1, top1: 1, near: 1, tieAware: 1 })
  if (hybridEndToEnd) line(hybridEndToEnd)
  line(hybridSql, hybridQuality, `fused top ${k} vs the exact-leg reference, ef_search ${defaultEfSearch}`)
  line(hybridExact)
  line(textSql)
  const ownIndexName = tenantEmbeddingIndexName({ model, workspaceId: context.workspaceId })
  const short = (plan: string) =>
    plan.includes(ownIndexName)
      ? 'own HNSW index'
      : plan.includes(embeddingIndexName(model))
        ? 'shared HNSW index'
        : `exact (${plan})`
  for (const entry of sweep) line(entry.measurement, entry.quality, short(entry.plan))
  if (leg) line(leg, legQuality, short(legPlan))
  const codeSetting = sweep.find((entry) => entry.efSearch === defaultEfSearch)
  // At a high ef_search (or in a small workspace) the planner may run the query exactly instead.
  const enough = sweep.find((entry) => entry.quality.recall >= targets.recallAt10)
  const reached = enough
    ? `first reached at ef_search ${enough.efSearch}${short(enough.plan).endsWith('HNSW index') ? ' with the index' : ', where the planner runs an exact scan instead of the index'}`
    : indexed
      ? `not reached at ef_search ${efSearchValues.join('/')}`
      : 'exact search (recall 1 by construction)'
  log(
    `hybrid p95 ${hybridEndToEnd ? `${hybridEndToEnd.p95Ms.toFixed(1)} ms end to end / ` : ''}${hybridSql.p95Ms.toFixed(1)} ms SQL (target < ${targets.hybridP95Ms}); ` +
      `${codeSetting ? `recall@10 at ef_search ${defaultEfSearch} (the code's setting) ${codeSetting.quality.recall.toFixed(3)}; ` : ''}` +
      `hybrid recall@10 (fused top ${k} vs exact vector leg) ${hybridQuality.recall.toFixed(3)}; ` +
      `target >= ${targets.recallAt10}: ${reached}`,
  )
  log(
    `full-text match plan (inside knowledge_text_search): ${textPlan}; queries without results: hybrid ${emptyResults.hybrid.size}, full-text ${emptyResults.text.size}`,
  )
  const share = ({ inTop, first }: { inTop: number; first: number }) =>
    `${inTop.toFixed(3)} / ${first.toFixed(3)}`
  log(
    `the chunk each query was taken from, in the top ${k} / first: hybrid ${share(sourceFound.hybrid)}, ` +
      `hybrid with the exact vector leg ${share(sourceFound.hybridExact)}, full-text leg alone ${share(sourceFound.text)}`,
  )
  return rows
}

/**
 * How often searches found what the member was looking for: the chunk each query was taken from,
 * among the returned texts (best first) at all (`inTop`) and first (`first`). Recall against exact
 * search says how faithfully an index reproduces exact ranking; this says whether either finds it.
 */
export function sourceFoundOf(
  returned: string[][],
  queries: Pick<BenchQuery, 'source'>[],
): { inTop: number; first: number } {
  let inTop = 0
  let first = 0
  for (const [index, { source }] of queries.entries()) {
    const texts = returned[index] ?? []
    if (texts.includes(source)) inTop += 1
    if (texts[0] === source) first += 1
  }
  const count = Math.max(1, queries.length)
  return { inTop: inTop / count, first: first / count }
}

/**
 * Recall@10 of fused results (chunk ids, best first) against a reference: the share of the
 * reference's ids found (1 for an empty reference), and `top1`, how often its first is among them.
 */
export function hybridRecallOf(found: string[][], reference: string[][]): { recall: number; top1: number } {
  let recall = 0
  let top1 = 0
  for (const [index, expected] of reference.entries()) {
    const ids = new Set(found[index] ?? [])
    recall += expected.length === 0 ? 1 : expected.filter((id) => ids.has(id)).length / expected.length
    top1 += expected.length === 0 || ids.has(expected[0]!) ? 1 : 0
  }
  const count = Math.max(1, reference.length)
  return { recall: round3(recall / count), top1: round3(top1 / count) }
}

/** The scan nodes of a query's plan ("Index Scan on x_idx, Seq Scan"), from EXPLAIN (FORMAT JSON). */
export async function planScans(
  tenant: Pick<TenantTransaction, 'sequelize' | 'transaction'>,
  sql: string,
  replacements: Record<string, unknown>,
): Promise<string> {
  const [row] = await tenantSelect<{ 'QUERY PLAN': unknown }>(
    tenant,
    `EXPLAIN (FORMAT JSON) ${sql}`,
    replacements,
  )
  const plan = row?.['QUERY PLAN']
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: Record<string, unknown> }[]
  const scans: string[] = []
  const walk = (node: Record<string, unknown>) => {
    const type = String(node['Node Type'])
    if (/Scan/.test(type)) scans.push(node['Index Name'] ? `${type} on ${node['Index Name']}` : type)
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child)
  }
  walk(parsed[0]!.Plan)
  return scans.join(', ')
}
