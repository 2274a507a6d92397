import { appRole, type MigrationContext } from '../db/index.ts'

/**
 * `knowledge_text_search(query, max_results, collection_ids)`: the full-text leg of hybrid search.
 *
 * Why a SECURITY DEFINER function: the match operator `@@` is not LEAKPROOF, so under row-level
 * security Postgres must apply the tenant policy before it, which rules out the GIN index and
 * tests every chunk of the workspace (measured at 100k chunks: 291 ms instead of a few). The
 * function runs as its owner (the privileged migration user, which bypasses RLS), so the planner
 * may use the index, and it applies the same tenant rule the policies do, explicitly:
 * `workspace_id = app.workspace_id`, failing closed (no rows) when the setting is absent. It reads
 * only `knowledge_chunks` and `knowledge_documents`, returns ids and ranks (the caller joins back
 * under RLS for the text), and only the app role may execute it. The search path is pinned so a
 * caller cannot shadow the tables or functions it uses.
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE FUNCTION knowledge_text_search(query_text text, max_results integer, collection_ids uuid[])
      RETURNS TABLE (id uuid, relevance real)
      LANGUAGE sql STABLE STRICT SECURITY DEFINER
      SET search_path = pg_catalog, pg_temp
    AS $function$
      SELECT c.id, ts_rank_cd(c.search_vector, query) AS relevance
        FROM public.knowledge_chunks c, websearch_to_tsquery('english', query_text) query
       WHERE c.workspace_id = nullif(current_setting('app.workspace_id', true), '')::uuid
         AND c.search_vector @@ query
         AND (cardinality(collection_ids) = 0 OR c.document_id IN (
               SELECT d.id FROM public.knowledge_documents d
                WHERE d.workspace_id = c.workspace_id AND d.collection_id = ANY (collection_ids)))
       ORDER BY relevance DESC, c.id
       LIMIT least(greatest(max_results, 0), 1000)
    $function$;
    REVOKE ALL ON FUNCTION knowledge_text_search(text, integer, uuid[]) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION knowledge_text_search(text, integer, uuid[]) TO ${appRole};
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query('DROP FUNCTION IF EXISTS knowledge_text_search(text, integer, uuid[])')
}
