export { chooseParser } from './choose-parser.ts'
export { type ChunkDocumentOptions, chunkDocument, type DocumentChunk } from './chunk-document.ts'
export { createEmbedder, type Embedder } from './embedders/index.ts'
export { createIngestQueue, type IngestQueue, ingestQueueName } from './ingest-queue.ts'
export {
  createKnowledgeService,
  type DocumentSource,
  type IngestScheduler,
  isTransient,
  type KnowledgeService,
  type KnowledgeServiceOptions,
  type ProcessedDocument,
} from './knowledge-service.ts'
export type { BlockKind, DocumentParser, ParsedBlock, ParsedDocument, ParseInput } from './parsed-document.ts'
export { type VectorLegSettings, vectorLegSettings } from './vector-leg-settings.ts'
