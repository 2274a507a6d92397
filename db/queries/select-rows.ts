import { QueryTypes } from 'sequelize'
import type { TenantTransaction } from '../database.ts'

/** Runs a SELECT (or a statement with RETURNING) in the given transaction and returns plain rows. */
export async function selectRows<Row extends object = Record<string, unknown>>(
  { sequelize, transaction }: Pick<TenantTransaction, 'sequelize' | 'transaction'>,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<Row[]> {
  return (await sequelize.query(sql, { replacements, transaction, type: QueryTypes.SELECT })) as Row[]
}
