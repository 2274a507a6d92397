export {
  type ApiKeySummary,
  type ApiKeyVerdict,
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  verifyApiKey,
} from './api-keys.ts'
export { type AuditEntry, recordAudit } from './audit-logs.ts'
export {
  type ListRecordsOptions,
  listRecords,
  maxPageSize,
  type RecordKind,
  type RecordPage,
  recordKinds,
  recordListSpecs,
} from './records.ts'
export {
  addMember,
  createWorkspace,
  findMember,
  findWorkspace,
  getCurrentWorkspace,
  listMembers,
  type MemberSummary,
  slugify,
  type WorkspaceSummary,
} from './workspaces.ts'
