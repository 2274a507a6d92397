import {
  documentSourceTypes,
  documentStatuses,
  type MigrationContext,
  memberReferenceSql,
  oneOfSql,
  tenantColumnsSql,
  tenantTableSql,
} from '../db/index.ts'

const member = memberReferenceSql

/**
 * The knowledge base: collections, documents and their chunks.
 *
 * Embeddings are stored without a fixed dimension, tagged with the model that made them, so a
 * workspace can change models (re-embedding with `nereid knowledge reindex`). Vector indexes are
 * per model: a partial HNSW index on `(embedding::vector(N))` for `embedding_model = '<model>'`,
 * created by db/queries/knowledge-index.ts the first time a model is used.
 */
export async function up({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    CREATE TABLE knowledge_collections (
      ${tenantColumnsSql},
      name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
      description text,
      created_by_id uuid,
      UNIQUE (workspace_id, id),
      ${member('created_by_id')}
    );
    CREATE UNIQUE INDEX knowledge_collections_name_key ON knowledge_collections (workspace_id, lower(name));
    ${tenantTableSql({ table: 'knowledge_collections' })}

    CREATE TABLE knowledge_documents (
      ${tenantColumnsSql},
      collection_id uuid,
      title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
      source_type text NOT NULL ${oneOfSql('source_type', documentSourceTypes)},
      source_url text,
      file_name text,
      mime_type text,
      size_bytes bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
      content_hash text CHECK (content_hash IS NULL OR content_hash ~ '^[0-9a-f]{64}$'),
      -- The uploaded bytes (or text), kept so a worker in any process can parse them and a
      -- document can be parsed again; URLs are fetched by the worker instead.
      content bytea,
      status text NOT NULL DEFAULT 'processing' ${oneOfSql('status', documentStatuses)},
      error text,
      page_count integer,
      chunk_count integer NOT NULL DEFAULT 0,
      embedding_model text,
      created_by_id uuid,
      processed_at timestamptz,
      CHECK ((source_type = 'url') = (source_url IS NOT NULL)),
      CHECK (status <> 'failed' OR error IS NOT NULL),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, collection_id) REFERENCES knowledge_collections (workspace_id, id) ON DELETE SET NULL (collection_id),
      ${member('created_by_id')}
    );
    CREATE INDEX knowledge_documents_workspace_created_idx ON knowledge_documents (workspace_id, created_at DESC);
    CREATE INDEX knowledge_documents_workspace_hash_idx ON knowledge_documents (workspace_id, content_hash);
    CREATE UNIQUE INDEX knowledge_documents_url_key ON knowledge_documents (workspace_id, source_url) WHERE source_type = 'url';
    ${tenantTableSql({ table: 'knowledge_documents' })}

    CREATE TABLE knowledge_chunks (
      ${tenantColumnsSql},
      document_id uuid NOT NULL,
      position integer NOT NULL CHECK (position >= 0),
      text text NOT NULL CHECK (length(text) > 0),
      -- The document title and heading path, shown with the chunk and weighted higher in search.
      context text NOT NULL DEFAULT '',
      heading_path text[] NOT NULL DEFAULT '{}',
      page integer CHECK (page IS NULL OR page >= 1),
      page_end integer CHECK (page_end IS NULL OR page_end >= page),
      token_count integer NOT NULL CHECK (token_count >= 0),
      search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', context), 'A') || setweight(to_tsvector('english', text), 'B')
      ) STORED,
      embedding vector,
      embedding_model text,
      CHECK ((embedding IS NULL) = (embedding_model IS NULL)),
      UNIQUE (document_id, position),
      FOREIGN KEY (workspace_id, document_id) REFERENCES knowledge_documents (workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX knowledge_chunks_document_idx ON knowledge_chunks (workspace_id, document_id, position);
    CREATE INDEX knowledge_chunks_search_idx ON knowledge_chunks USING gin (search_vector);
    CREATE INDEX knowledge_chunks_model_idx ON knowledge_chunks (workspace_id, embedding_model);
    ${tenantTableSql({ table: 'knowledge_chunks' })}
  `)
}

export async function down({ context }: { context: MigrationContext }): Promise<void> {
  await context.query(`
    DROP TABLE IF EXISTS knowledge_chunks;
    DROP TABLE IF EXISTS knowledge_documents;
    DROP TABLE IF EXISTS knowledge_collections;
  `)
}
