import { PgBoss } from 'pg-boss'
import type { Logger } from '../core/index.ts'
import type { IngestScheduler, KnowledgeService } from './knowledge-service.ts'

export const ingestQueueName = 'knowledge-ingest'
/** Attempts after the first before a document ends as failed. */
const retryLimit = 3

export interface IngestQueue extends IngestScheduler {
  /** Starts working the queue in this process (web+worker or worker role). */
  startWorker(knowledge: Pick<KnowledgeService, 'processDocument'>): Promise<void>
  stop(): Promise<void>
}

/**
 * The ingestion queue on pg-boss (Postgres-backed): jobs survive restarts, retry with exponential
 * backoff, and spread over every process that runs a worker. A job carries only the workspace and
 * document ids (written by Nereid itself); the worker processes the document inside that
 * workspace's tenant context. One bad document fails alone.
 */
export async function createIngestQueue({
  url,
  logger,
  concurrency,
}: {
  url: string
  logger: Logger
  concurrency: number
}): Promise<IngestQueue> {
  const boss = new PgBoss({ connectionString: url, max: Math.max(2, concurrency + 1) })
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'))
  await boss.start()
  await boss.createQueue(ingestQueueName, { retryLimit, retryBackoff: true, retryDelay: 2 })
  return {
    async enqueue({ workspaceId, documentId }) {
      await boss.send(
        ingestQueueName,
        { workspaceId, documentId },
        { retryLimit, retryBackoff: true, retryDelay: 2 },
      )
    },
    async startWorker(knowledge) {
      await boss.work<{ workspaceId: string; documentId: string }>(
        ingestQueueName,
        { batchSize: 1, localConcurrency: concurrency, pollingIntervalSeconds: 0.5 },
        async ([job]) => {
          if (!job) return
          const finalAttempt = job.retryCount >= retryLimit
          const outcome = await knowledge.processDocument({ ...job.data, finalAttempt })
          logger.info(
            {
              documentId: job.data.documentId,
              status: outcome?.document.status,
              chunks: outcome?.chunks,
              attempt: job.retryCount + 1,
            },
            'document processed',
          )
        },
      )
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 })
    },
  }
}
