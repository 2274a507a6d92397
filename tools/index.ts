export { applyUndo } from './apply-undo.ts'
export {
  type AutonomyDecision,
  type AutonomyPreference,
  type AutonomyRule,
  autonomyRules,
  elevatedRisks,
  resolveAutonomy,
} from './autonomy-policy.ts'
export { allTools } from './registry.ts'
export { resolveReference } from './resolve-reference.ts'
export {
  defineTool,
  type PreparedInput,
  type ToolContext,
  type ToolDefinition,
  type ToolOutcome,
  type UndoState,
} from './tool-definition.ts'
export {
  type Actor,
  createToolService,
  hashInput,
  type InvokeResult,
  type ToolService,
} from './tool-service.ts'
