import { UniqueConstraintError } from 'sequelize'
import { AppError } from '../../core/index.ts'
import type { SystemTransaction, TenantTransaction } from '../database.ts'
import type { MemberRole } from '../vocabulary.ts'
import { recordAudit } from './audit-logs.ts'

export interface WorkspaceSummary {
  id: string
  name: string
  slug: string
  plan: string
  timeZone: string
}

/** True for a record id (uuid); lets one argument take either an id or a slug/email. */
export function looksLikeId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
}

/** Lower-case, dash-separated slug from a name ("Acme Corp." -> "acme-corp"). */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '')
  return slug || 'workspace'
}

/** Creates a workspace (system work: a workspace cannot create itself). */
export async function createWorkspace(
  { transaction, models }: SystemTransaction,
  { name, slug, timeZone = 'UTC' }: { name: string; slug?: string; timeZone?: string },
): Promise<WorkspaceSummary> {
  const trimmed = name.trim()
  if (trimmed === '' || trimmed.length > 200) {
    throw new AppError('validation_failed', { message: 'A workspace name needs 1 to 200 characters.' })
  }
  const finalSlug = slug ?? slugify(trimmed)
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(finalSlug)) {
    throw new AppError('validation_failed', {
      message: 'A workspace slug uses lower-case letters, digits and dashes (at most 63).',
    })
  }
  if (!Intl.supportedValuesOf('timeZone').includes(timeZone) && timeZone !== 'UTC') {
    throw new AppError('validation_failed', {
      message: `Unknown time zone "${timeZone}" (use an IANA name like Europe/Berlin).`,
    })
  }
  try {
    const workspace = await models.Workspace.create(
      { name: trimmed, slug: finalSlug, timeZone },
      { transaction },
    )
    return toSummary(workspace.get())
  } catch (error) {
    if (error instanceof UniqueConstraintError) {
      throw new AppError('conflict', {
        message: `A workspace with the slug "${finalSlug}" already exists.`,
        cause: error,
      })
    }
    throw error
  }
}

/** Finds a workspace by id or slug (system work: used by the CLI before a workspace is chosen). */
export async function findWorkspace(
  { transaction, models }: SystemTransaction,
  { idOrSlug }: { idOrSlug: string },
): Promise<WorkspaceSummary | undefined> {
  const isId = looksLikeId(idOrSlug)
  const workspace = await models.Workspace.findOne({
    where: isId ? { id: idOrSlug } : { slug: idOrSlug },
    transaction,
  })
  return workspace ? toSummary(workspace.get()) : undefined
}

/**
 * Workspaces in creation order, at most `limit` (system work: lets the CLI pick a default
 * workspace when only one exists).
 */
export async function listWorkspaces(
  { transaction, models }: SystemTransaction,
  { limit }: { limit: number },
): Promise<WorkspaceSummary[]> {
  const workspaces = await models.Workspace.findAll({
    order: [
      ['createdAt', 'ASC'],
      ['id', 'ASC'],
    ],
    limit,
    transaction,
  })
  return workspaces.map((workspace) => toSummary(workspace.get()))
}

/** The current workspace, as row-level security lets the tenant see it. */
export async function getCurrentWorkspace({
  transaction,
  models,
  workspaceId,
}: TenantTransaction): Promise<WorkspaceSummary> {
  const workspace = await models.Workspace.findByPk(workspaceId, { transaction })
  if (!workspace) throw new AppError('not_found', { message: 'The workspace does not exist.' })
  return toSummary(workspace.get())
}

export interface MemberSummary {
  userId: string
  email: string
  name: string
  role: MemberRole
}

/**
 * Adds a user (created by email if new) to a workspace with a role, or changes the role of an
 * existing member. System work: it runs from the admin CLI and the seed, before any member exists.
 */
export async function addMember(
  system: SystemTransaction,
  { workspaceId, email, name, role }: { workspaceId: string; email: string; name?: string; role: MemberRole },
): Promise<MemberSummary> {
  const { transaction, models, sequelize } = system
  const normalizedEmail = email.trim().toLowerCase()
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(normalizedEmail)) {
    throw new AppError('validation_failed', { message: `"${email}" is not an email address.` })
  }
  const workspace = await models.Workspace.findByPk(workspaceId, { transaction })
  if (!workspace) throw new AppError('not_found', { message: `No workspace with id ${workspaceId}.` })
  const displayName = name?.trim() || normalizedEmail.split('@')[0]!
  const [rows] = (await sequelize.query(
    `INSERT INTO users (email, name) VALUES (:email, :name)
     ON CONFLICT (email) DO UPDATE SET name = CASE WHEN :nameGiven THEN EXCLUDED.name ELSE users.name END
     RETURNING id, email, name`,
    {
      replacements: { email: normalizedEmail, name: displayName, nameGiven: Boolean(name?.trim()) },
      transaction,
    },
  )) as [{ id: string; email: string; name: string }[], unknown]
  const user = rows[0]!
  await sequelize.query(
    `INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (:workspaceId, :userId, :role)
     ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
    { replacements: { workspaceId, userId: user.id, role }, transaction },
  )
  await recordAudit(system, {
    workspaceId,
    actorType: 'system',
    action: 'member.add',
    targetType: 'user',
    targetId: user.id,
    metadata: { email: user.email, role },
  })
  return { userId: user.id, email: user.email, name: user.name, role }
}

/**
 * Finds a member of the current workspace by user id or email. Row-level security on both
 * `workspace_members` and `users` means a user of another workspace is simply not found.
 */
export async function findMember(
  { transaction, sequelize }: TenantTransaction,
  { idOrEmail }: { idOrEmail: string },
): Promise<MemberSummary | undefined> {
  const value = idOrEmail.trim()
  const byId = looksLikeId(value)
  const [rows] = (await sequelize.query(
    `SELECT u.id AS "userId", u.email, u.name, m.role
       FROM workspace_members m JOIN users u ON u.id = m.user_id
      WHERE ${byId ? 'u.id = :value' : 'u.email = lower(:value)'}`,
    { replacements: { value }, transaction },
  )) as [MemberSummary[], unknown]
  return rows[0]
}

/**
 * The current workspace's name and time zone with one of its members (by user id), in one query:
 * what the assistant's instructions name. Undefined when the user is not a member.
 */
export async function findMemberInWorkspace(
  { transaction, sequelize }: TenantTransaction,
  { userId }: { userId: string },
): Promise<{ workspace: { name: string; timeZone: string }; member: MemberSummary } | undefined> {
  const [rows] = (await sequelize.query(
    `SELECT w.name AS "workspaceName", w.time_zone AS "timeZone", u.id AS "userId", u.email, u.name, m.role
       FROM workspace_members m JOIN users u ON u.id = m.user_id JOIN workspaces w ON w.id = m.workspace_id
      WHERE u.id = :userId`,
    { replacements: { userId }, transaction },
  )) as [(MemberSummary & { workspaceName: string; timeZone: string })[], unknown]
  const row = rows[0]
  if (!row) return undefined
  const { workspaceName, timeZone, ...member } = row
  return { workspace: { name: workspaceName, timeZone }, member }
}

/** The members of the current workspace, owners first. */
export async function listMembers({ transaction, sequelize }: TenantTransaction): Promise<MemberSummary[]> {
  const [rows] = (await sequelize.query(
    `SELECT u.id AS "userId", u.email, u.name, m.role
       FROM workspace_members m JOIN users u ON u.id = m.user_id
      ORDER BY array_position(ARRAY['owner','admin','member','viewer'], m.role), u.email`,
    { transaction },
  )) as [MemberSummary[], unknown]
  return rows
}

function toSummary(workspace: {
  id: string
  name: string
  slug: string
  plan: string
  timeZone: string
}): WorkspaceSummary {
  return {
    id: workspace.id,
    name: workspace.name,
    slug: workspace.slug,
    plan: workspace.plan,
    timeZone: workspace.timeZone,
  }
}
