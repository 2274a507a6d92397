import type { MigrationContext } from '../db/index.ts'

/**
 * Workspaces' own vector indexes move to `halfvec`.
 *
 * A large workspace's own HNSW index used to be on `(embedding::vector(N))`, the same expression as
 * the shared per-model index, so the planner could choose either for the workspace's search. With a
 * denser graph for the workspace (better recall per step) pgvector's cost estimate favoured the
 * shared graph, filtered to the workspace, whose recall for one tenant is poor (measured 0.64
 * against 0.78 at 100k chunks). Workspace indexes are now on `(embedding::halfvec(N))`, which the
 * shared index cannot serve, and carry a new name (`tenantEmbeddingIndexName`).
 *
 * This drops the old-layout workspace indexes (name `knowledge_chunks_tenant_*_idx`, operator class
 * `vector_cosine_ops`). Until a workspace's new index exists its searches are exact (correct,
 * slower); the next ingestion into it, or `nereid knowledge reindex`, builds it. Down drops the new
 * ones; the previous version builds its own at the next ingestion the same way.
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await dropWorkspaceIndexes(context, 'vector_cosine_ops')
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await dropWorkspaceIndexes(context, 'halfvec_cosine_ops')
}

async function dropWorkspaceIndexes(context: MigrationContext, operatorClass: string): Promise<void> {
  await context.query(`
    DO $migration$
    DECLARE
      index_name text;
    BEGIN
      FOR index_name IN
        SELECT indexname FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename = 'knowledge_chunks'
           AND indexname LIKE 'knowledge\\_chunks\\_tenant\\_%\\_idx'
           AND indexdef LIKE '%${operatorClass}%'
      LOOP
        EXECUTE format('DROP INDEX %I', index_name);
      END LOOP;
    END
    $migration$;
  `)
}
