import type { TenantTransaction } from '../database.ts'
import { selectRows } from './select-rows.ts'

/**
 * The origins (scheme://host[:port]) allowed to open the widget's WebSocket for the current
 * workspace, kept in `workspaces.settings.widget.allowedOrigins`. Row-level security limits both
 * queries to the transaction's workspace.
 */
export async function getWidgetOrigins(tenant: TenantTransaction): Promise<string[]> {
  const [row] = await selectRows<{ origins: unknown }>(
    tenant,
    `SELECT settings #> '{widget,allowedOrigins}' AS origins FROM workspaces WHERE id = :workspaceId`,
    { workspaceId: tenant.workspaceId },
  )
  return Array.isArray(row?.origins) ? row.origins.filter((origin) => typeof origin === 'string') : []
}

/** Replaces the current workspace's allowed widget origins; returns them. */
export async function setWidgetOrigins(
  tenant: TenantTransaction,
  { origins }: { origins: string[] },
): Promise<string[]> {
  await selectRows(
    tenant,
    `UPDATE workspaces SET settings = jsonb_set(
        jsonb_set(settings, '{widget}', coalesce(settings -> 'widget', '{}'::jsonb)),
        '{widget,allowedOrigins}', CAST(:origins AS jsonb)), updated_at = now()
      WHERE id = :workspaceId RETURNING id`,
    { workspaceId: tenant.workspaceId, origins: JSON.stringify(origins) },
  )
  return origins
}
