export {
  type AssistantTools,
  createAssistantTools,
  type PendingCall,
  toolOutputFor,
} from './assistant-tools.ts'
export { createChatModel } from './chat-model.ts'
export {
  type ChatModel,
  type ChatService,
  type ChatServiceOptions,
  conversationIdFor,
  createChatService,
  type TurnChunkEvent,
  type TurnRequest,
  textOf,
} from './chat-service.ts'
export { type Citation, type CitationRegistry, createCitationRegistry, sourceChunkFor } from './citations.ts'
export * from './insights/index.ts'
export { buildInstructions, formatToday } from './instructions.ts'
export { createSearchKnowledgeTool } from './search-knowledge-tool.ts'
