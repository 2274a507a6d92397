import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { AppError } from '../../core/index.ts'
import type { Database, MemberSummary } from '../../db/index.ts'
import {
  chooseParser,
  createEmbedder,
  createKnowledgeService,
  type KnowledgeService,
} from '../../ingest/index.ts'
import { resolveCommandTarget } from '../command-target.ts'
import { type CommandEnvironment, ensureMigrated, type Runtime, withRuntime } from '../runtime.ts'

interface Target {
  workspace: string
  user?: string | undefined
}

/** The workspace and the member the command acts as (default: the first owner); never a viewer. */
async function resolveActor(
  database: Database,
  { workspace, user }: Target,
): Promise<{ workspaceId: string; member: MemberSummary }> {
  const target = await resolveCommandTarget({ database, workspace, user })
  if (target.member.role === 'viewer')
    throw new AppError('forbidden', { message: 'Viewers cannot add to the knowledge base.' })
  return { workspaceId: target.workspace.id, member: target.member }
}

/**
 * The CLI processes documents itself, in this process, with no queue: it waits for each one so it
 * can report, and it is the natural tool for bulk imports.
 */
function knowledgeFor({ database, config, clock, logger }: Runtime): KnowledgeService {
  return createKnowledgeService({
    database,
    embedder: createEmbedder({ config }),
    clock,
    logger,
    scheduler: { enqueue: async () => undefined },
    parse: chooseParser(config.unstructured),
    maxUploadBytes: config.knowledge.maxUploadBytes,
    allowPrivateUrls: config.knowledge.allowPrivateUrls,
    efSearch: config.knowledge.efSearch,
    workspaceIndexBuild: config.knowledge.workspaceIndexBuild,
  })
}

/** Files under the given paths (directories recursively, hidden entries skipped) and URLs as given. */
function expandSources(sources: string[]): string[] {
  const expanded: string[] = []
  const walk = (path: string) => {
    const stats = statSync(path, { throwIfNoEntry: false })
    if (!stats) throw new AppError('not_found', { message: `No such file or directory: ${path}` })
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path).sort()) if (!entry.startsWith('.')) walk(join(path, entry))
    } else if (stats.isFile()) {
      expanded.push(path)
    }
  }
  for (const source of sources) {
    if (/^https?:\/\//i.test(source)) expanded.push(source)
    else walk(source)
  }
  return expanded
}

function progressBar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(total, 1)) * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
}

/** `nereid ingest <file|dir|url>...`: adds documents, shows progress and a summary table. */
export async function ingestCommand(
  commandEnvironment: CommandEnvironment,
  { sources, workspace, user, collection }: Target & { sources: string[]; collection?: string | undefined },
): Promise<{ failed: number }> {
  return withRuntime(commandEnvironment, async (runtime) => {
    const { output } = commandEnvironment
    await ensureMigrated({ database: runtime.database, allowMigrate: false, output })
    const { workspaceId, member } = await resolveActor(runtime.database, { workspace, user })
    const knowledge = knowledgeFor(runtime)
    const context = { workspaceId, userId: member.userId }
    const paths = expandSources(sources)
    const rows: { name: string; status: string; pages: number; chunks: number; note: string }[] = []
    for (const [index, path] of paths.entries()) {
      const name = /^https?:/i.test(path) ? path : basename(path)
      let row = { name, status: 'failed', pages: 0, chunks: 0, note: '' }
      try {
        const { document, duplicate } = await knowledge.addDocument({
          context,
          source: /^https?:/i.test(path)
            ? { kind: 'url', url: path }
            : { kind: 'file', bytes: new Uint8Array(readFileSync(path)), fileName: name },
          collectionId: collection,
        })
        if (duplicate && document.status === 'ready') {
          row = {
            name,
            status: 'unchanged',
            pages: document.pageCount ?? 0,
            chunks: document.chunkCount,
            note: 'same content already ingested',
          }
        } else {
          const processed = await knowledge.processDocument({ workspaceId, documentId: document.id })
          const outcome = processed?.document
          row = {
            name,
            status: outcome?.status ?? 'failed',
            pages: outcome?.pageCount ?? 0,
            chunks: outcome?.chunkCount ?? 0,
            note: outcome?.error ?? '',
          }
        }
      } catch (error) {
        row.note = error instanceof AppError ? error.message : 'unexpected error (see logs)'
        if (!(error instanceof AppError)) runtime.logger.error({ err: error, path }, 'ingest failed')
      }
      rows.push(row)
      output.log(`${progressBar(index + 1, paths.length)}  ${row.status.padEnd(9)} ${name}`)
    }
    const width = Math.min(48, Math.max(8, ...rows.map((row) => row.name.length)))
    output.log('')
    output.log(
      `${'document'.padEnd(width)}  ${'status'.padEnd(9)}  ${'pages'.padStart(5)}  ${'chunks'.padStart(6)}  reason`,
    )
    for (const row of rows) {
      output.log(
        `${row.name.slice(0, width).padEnd(width)}  ${row.status.padEnd(9)}  ${String(row.pages).padStart(5)}  ${String(row.chunks).padStart(6)}  ${row.note}`,
      )
    }
    const failed = rows.filter((row) => row.status === 'failed').length
    const sum = (pick: (row: (typeof rows)[number]) => number) =>
      rows.reduce((total, row) => total + pick(row), 0)
    output.log(
      `\n${rows.length} document(s): ${rows.length - failed} ok, ${failed} failed; ${sum((row) => row.pages)} pages, ${sum((row) => row.chunks)} chunks.`,
    )
    return { failed }
  })
}

/** `nereid knowledge list`. */
export async function listKnowledgeCommand(
  commandEnvironment: CommandEnvironment,
  target: Target,
): Promise<void> {
  await withRuntime(commandEnvironment, async (runtime) => {
    const { workspaceId, member } = await resolveActor(runtime.database, target)
    const documents = await knowledgeFor(runtime).listDocuments({
      context: { workspaceId, userId: member.userId },
      limit: 100,
      offset: 0,
    })
    const { output } = commandEnvironment
    if (documents.length === 0) output.log('No documents.')
    for (const document of documents) {
      output.log(
        `  ${document.id}  ${document.status.padEnd(10)}  ${String(document.chunkCount).padStart(5)} chunks  ${document.title}${document.error ? `  (${document.error})` : ''}`,
      )
    }
  })
}

/** `nereid knowledge search "<query>"`. */
export async function searchKnowledgeCommand(
  commandEnvironment: CommandEnvironment,
  { query, k, ...target }: Target & { query: string; k: number },
): Promise<void> {
  await withRuntime(commandEnvironment, async (runtime) => {
    const { workspaceId, member } = await resolveActor(runtime.database, target)
    const hits = await knowledgeFor(runtime).searchKnowledge({
      context: { workspaceId, userId: member.userId },
      query,
      k,
    })
    const { output } = commandEnvironment
    if (hits.length === 0) output.log('Nothing found.')
    for (const [index, hit] of hits.entries()) {
      const where = [hit.title, hit.page ? `p. ${hit.page}` : '', hit.headingPath.join(' > ')]
        .filter(Boolean)
        .join(', ')
      output.log(`[${index + 1}] ${where}  (score ${hit.score.toFixed(4)})`)
      output.log(`    ${hit.text.replace(/\s+/g, ' ').slice(0, 240)}`)
    }
  })
}

/** `nereid knowledge reindex`: re-embeds with the configured embedding model. */
export async function reindexKnowledgeCommand(
  commandEnvironment: CommandEnvironment,
  { all, ...target }: Target & { all: boolean },
): Promise<void> {
  await withRuntime(commandEnvironment, async (runtime) => {
    const { workspaceId, member } = await resolveActor(runtime.database, target)
    const knowledge = knowledgeFor(runtime)
    const { output } = commandEnvironment
    const result = await knowledge.reindex({
      context: { workspaceId, userId: member.userId },
      all,
      onDocument: ({ title, index, total, chunks }) =>
        output.log(`${progressBar(index + 1, total)}  ${chunks} chunks  ${title}`),
    })
    output.log(
      `Re-embedded ${result.chunks} chunks of ${result.documents} document(s) with ${knowledge.embedder.model}.`,
    )
  })
}
