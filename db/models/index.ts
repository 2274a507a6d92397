import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize'
import type { MemberRole } from '../vocabulary.ts'
import { defineTenantModel, type TenantModel, type TenantRowAttributes } from './define-tenant-model.ts'

export { tenantOfTransaction } from './define-tenant-model.ts'

export interface WorkspaceAttributes {
  id: string
  name: string
  slug: string
  plan: string
  timeZone: string
  settings: Record<string, unknown>
  createdAt: Date
  updatedAt: Date
}
export interface UserAttributes {
  id: string
  email: string
  name: string
  createdAt: Date
  updatedAt: Date
}
export interface WorkspaceMemberAttributes extends TenantRowAttributes {
  userId: string
  role: MemberRole
}
export interface ApiKeyAttributes extends TenantRowAttributes {
  name: string
  prefix: string
  keyHash: string
  createdById: string | null
  lastUsedAt: Date | null
  revokedAt: Date | null
}
export interface AuditLogAttributes extends TenantRowAttributes {
  actorType: string
  actorUserId: string | null
  action: string
  targetType: string | null
  targetId: string | null
  requestId: string | null
  metadata: Record<string, unknown>
}
export interface CustomerAttributes extends TenantRowAttributes {
  name: string
  domain: string | null
  industry: string | null
  status: string
  ownerId: string | null
  notes: string | null
}
export interface ContactAttributes extends TenantRowAttributes {
  firstName: string
  lastName: string
  email: string | null
  phone: string | null
  title: string | null
  customerId: string | null
  ownerId: string | null
}
export interface ProspectAttributes extends TenantRowAttributes {
  name: string
  companyName: string | null
  email: string | null
  contactId: string | null
  stage: string
  score: number
  source: string | null
  ownerId: string | null
  nextFollowUpAt: Date | null
  notes: string | null
}
export interface DealAttributes extends TenantRowAttributes {
  name: string
  customerId: string | null
  contactId: string | null
  stage: string
  valueCents: number
  currency: string
  expectedCloseDate: string | null
  ownerId: string | null
  closedAt: Date | null
}
export interface InteractionAttributes extends TenantRowAttributes {
  type: string
  contactId: string | null
  dealId: string | null
  customerId: string | null
  userId: string | null
  occurredAt: Date
  summary: string
}
export interface TaskAttributes extends TenantRowAttributes {
  title: string
  description: string | null
  status: string
  priority: string
  dueAt: Date | null
  assigneeId: string | null
  createdById: string | null
  contactId: string | null
  dealId: string | null
  customerId: string | null
  completedAt: Date | null
}
export interface CampaignAttributes extends TenantRowAttributes {
  name: string
  channel: string
  status: string
  subject: string | null
  body: string
  scheduledAt: Date | null
  sentAt: Date | null
  stats: Record<string, number>
  createdById: string | null
}
export interface CampaignRecipientAttributes extends TenantRowAttributes {
  campaignId: string
  contactId: string
  status: string
  statusChangedAt: Date | null
}

export interface AutonomyPreferenceAttributes extends TenantRowAttributes {
  userId: string | null
  scopeType: string
  scope: string
  mode: string
  setById: string | null
}
export interface PendingActionAttributes extends TenantRowAttributes {
  tool: string
  input: Record<string, unknown>
  inputHash: string
  summary: string
  risk: string
  requestedById: string | null
  channel: string
  conversationId: string | null
  messageId: string | null
  /** The model's tool call this action came from (assistant turns), to continue the conversation. */
  toolCallId: string | null
  status: string
  expiresAt: Date
  decidedById: string | null
  decidedAt: Date | null
  result: unknown
  error: string | null
}
export interface ActionHistoryAttributes extends TenantRowAttributes {
  actorUserId: string | null
  tool: string
  risk: string
  input: Record<string, unknown>
  status: string
  resultSummary: string | null
  result: unknown
  error: string | null
  durationMs: number | null
  channel: string
  conversationId: string | null
  pendingActionId: string | null
  undoState: unknown
  undoesActionId: string | null
}

const text = (allowNull = true) => ({ type: DataTypes.TEXT, allowNull })
const uuid = (allowNull = true) => ({ type: DataTypes.UUID, allowNull })
const timestamp = (allowNull = true) => ({ type: DataTypes.DATE, allowNull })

/** Every Sequelize model, bound to one Sequelize instance. Only db/ uses them. */
export interface Models {
  Workspace: ModelStatic<Model<WorkspaceAttributes, Partial<WorkspaceAttributes>>>
  User: ModelStatic<Model<UserAttributes, Partial<UserAttributes>>>
  WorkspaceMember: TenantModel<WorkspaceMemberAttributes>
  ApiKey: TenantModel<ApiKeyAttributes>
  AuditLog: TenantModel<AuditLogAttributes>
  Customer: TenantModel<CustomerAttributes>
  Contact: TenantModel<ContactAttributes>
  Prospect: TenantModel<ProspectAttributes>
  Deal: TenantModel<DealAttributes>
  Interaction: TenantModel<InteractionAttributes>
  Task: TenantModel<TaskAttributes>
  Campaign: TenantModel<CampaignAttributes>
  CampaignRecipient: TenantModel<CampaignRecipientAttributes>
  AutonomyPreference: TenantModel<AutonomyPreferenceAttributes>
  PendingAction: TenantModel<PendingActionAttributes>
  ActionHistory: TenantModel<ActionHistoryAttributes>
}

/** Defines the models on a Sequelize instance. The schema itself comes from migrations, never `sync()`. */
export function defineModels(sequelize: Sequelize): Models {
  const Workspace = sequelize.define(
    'Workspace',
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      name: text(false),
      slug: text(false),
      plan: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'free' },
      timeZone: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'UTC' },
      settings: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    },
    { tableName: 'workspaces', underscored: true, timestamps: true },
  ) as Models['Workspace']
  const User = sequelize.define(
    'User',
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      email: text(false),
      name: text(false),
    },
    { tableName: 'users', underscored: true, timestamps: true },
  ) as Models['User']
  const tenant = <Attributes extends TenantRowAttributes>(
    modelName: string,
    tableName: string,
    attributes: Parameters<typeof defineTenantModel>[0]['attributes'],
  ) => defineTenantModel<Attributes>({ sequelize, modelName, tableName, attributes })

  return {
    Workspace,
    User,
    WorkspaceMember: tenant('WorkspaceMember', 'workspace_members', {
      userId: uuid(false),
      role: text(false),
    }),
    ApiKey: tenant('ApiKey', 'api_keys', {
      name: text(false),
      prefix: text(false),
      keyHash: text(false),
      createdById: uuid(),
      lastUsedAt: timestamp(),
      revokedAt: timestamp(),
    }),
    AuditLog: tenant('AuditLog', 'audit_logs', {
      actorType: text(false),
      actorUserId: uuid(),
      action: text(false),
      targetType: text(),
      targetId: uuid(),
      requestId: text(),
      metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    }),
    Customer: tenant('Customer', 'customers', {
      name: text(false),
      domain: text(),
      industry: text(),
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'lead' },
      ownerId: uuid(),
      notes: text(),
    }),
    Contact: tenant('Contact', 'contacts', {
      firstName: text(false),
      lastName: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      email: text(),
      phone: text(),
      title: text(),
      customerId: uuid(),
      ownerId: uuid(),
    }),
    Prospect: tenant('Prospect', 'prospects', {
      name: text(false),
      companyName: text(),
      email: text(),
      contactId: uuid(),
      stage: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'new' },
      score: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      source: text(),
      ownerId: uuid(),
      nextFollowUpAt: timestamp(),
      notes: text(),
    }),
    Deal: tenant('Deal', 'deals', {
      name: text(false),
      customerId: uuid(),
      contactId: uuid(),
      stage: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'qualification' },
      // bigint comes back from pg as a string; cents of real deals fit comfortably in a JS number.
      valueCents: {
        type: DataTypes.BIGINT,
        allowNull: false,
        defaultValue: 0,
        get(this: Model) {
          return Number(this.getDataValue('valueCents' as never))
        },
      },
      currency: { type: DataTypes.CHAR(3), allowNull: false, defaultValue: 'USD' },
      expectedCloseDate: { type: DataTypes.DATEONLY, allowNull: true },
      ownerId: uuid(),
      closedAt: timestamp(),
    }),
    Interaction: tenant('Interaction', 'crm_interactions', {
      type: text(false),
      contactId: uuid(),
      dealId: uuid(),
      customerId: uuid(),
      userId: uuid(),
      occurredAt: timestamp(false),
      summary: text(false),
    }),
    Task: tenant('Task', 'tasks', {
      title: text(false),
      description: text(),
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'todo' },
      priority: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'medium' },
      dueAt: timestamp(),
      assigneeId: uuid(),
      createdById: uuid(),
      contactId: uuid(),
      dealId: uuid(),
      customerId: uuid(),
      completedAt: timestamp(),
    }),
    Campaign: tenant('Campaign', 'campaigns', {
      name: text(false),
      channel: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'email' },
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'draft' },
      subject: text(),
      body: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      scheduledAt: timestamp(),
      sentAt: timestamp(),
      stats: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      createdById: uuid(),
    }),
    CampaignRecipient: tenant('CampaignRecipient', 'campaign_recipients', {
      campaignId: uuid(false),
      contactId: uuid(false),
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'pending' },
      statusChangedAt: timestamp(),
    }),
    AutonomyPreference: tenant('AutonomyPreference', 'user_autonomy_preferences', {
      userId: uuid(),
      scopeType: text(false),
      scope: text(false),
      mode: text(false),
      setById: uuid(),
    }),
    PendingAction: tenant('PendingAction', 'pending_actions', {
      tool: text(false),
      input: { type: DataTypes.JSONB, allowNull: false },
      inputHash: text(false),
      summary: text(false),
      risk: text(false),
      requestedById: uuid(),
      channel: text(false),
      conversationId: uuid(),
      messageId: text(),
      toolCallId: text(),
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'pending' },
      expiresAt: timestamp(false),
      decidedById: uuid(),
      decidedAt: timestamp(),
      result: { type: DataTypes.JSONB, allowNull: true },
      error: text(),
    }),
    ActionHistory: tenant('ActionHistory', 'action_history', {
      actorUserId: uuid(),
      tool: text(false),
      risk: text(false),
      input: { type: DataTypes.JSONB, allowNull: false },
      status: text(false),
      resultSummary: text(),
      result: { type: DataTypes.JSONB, allowNull: true },
      error: text(),
      durationMs: { type: DataTypes.INTEGER, allowNull: true },
      channel: text(false),
      conversationId: uuid(),
      pendingActionId: uuid(),
      undoState: { type: DataTypes.JSONB, allowNull: true },
      undoesActionId: uuid(),
    }),
  }
}
