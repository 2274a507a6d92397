import {
  DataTypes,
  type Model,
  type ModelAttributes,
  type ModelStatic,
  type Sequelize,
  type Transaction,
} from 'sequelize'

/** The columns every tenant row has. */
export interface TenantRowAttributes {
  id: string
  workspaceId: string
  createdAt: Date
  updatedAt: Date
}

/** Attributes a caller may leave out on create (the database fills them). */
export type Creatable<Attributes extends TenantRowAttributes> = Omit<
  Attributes,
  'id' | 'createdAt' | 'updatedAt' | 'workspaceId'
> &
  Partial<Pick<Attributes, 'id' | 'createdAt' | 'updatedAt'>> & { workspaceId?: string }

export type TenantModel<Attributes extends TenantRowAttributes> = ModelStatic<
  Model<Attributes, Creatable<Attributes>>
>

export interface DefineTenantModelOptions {
  sequelize: Sequelize
  modelName: string
  tableName: string
  attributes: ModelAttributes
}

/**
 * Defines a model for a tenant table. `workspace_id` defaults to the transaction's
 * `app.workspace_id`, so code inside `withTenant` never passes it and cannot pass a wrong one
 * (row-level security would refuse it anyway).
 */
export function defineTenantModel<Attributes extends TenantRowAttributes>({
  sequelize,
  modelName,
  tableName,
  attributes,
}: DefineTenantModelOptions): TenantModel<Attributes> {
  return sequelize.define(
    modelName,
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      workspaceId: { type: DataTypes.UUID, allowNull: false, field: 'workspace_id' },
      ...attributes,
    },
    {
      tableName,
      underscored: true,
      timestamps: true,
      hooks: {
        // Sequelize passes the create/save options (with the transaction) to validation hooks.
        beforeValidate: (instance, options) =>
          fillWorkspaceId(instance, (options as { transaction?: Transaction | null }).transaction),
        beforeBulkCreate: (instances, options) => {
          for (const instance of instances) fillWorkspaceId(instance, options.transaction)
        },
      },
    },
  ) as unknown as TenantModel<Attributes>
}

/** The tenant a transaction was opened for by `withTenant` (see tenant-context.ts). */
export const tenantOfTransaction = new WeakMap<
  Transaction,
  { workspaceId: string; userId: string | undefined }
>()

function fillWorkspaceId(instance: Model, transaction: Transaction | null | undefined): void {
  const tenant = transaction ? tenantOfTransaction.get(transaction) : undefined
  if (tenant && instance.get('workspaceId') == null) instance.set('workspaceId', tenant.workspaceId)
}
