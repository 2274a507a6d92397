import { z } from 'zod'
import { AppError, type Clock } from '../../core/index.ts'
import { findMember, type MemberSummary, type TenantTransaction } from '../../db/index.ts'

/** Shared pieces of the task tools: due-date rules and who a task can be assigned to. */

/** Clock skew and typing time: a due date up to a minute in the past still counts as "now". */
const pastGraceMs = 60_000

/** Refuses a due date in the past (a validation error naming the date). */
export function assertDueNotInPast({ dueAt, clock }: { dueAt: string; clock: Clock }): void {
  if (new Date(dueAt).getTime() < clock.now().getTime() - pastGraceMs) {
    throw new AppError('validation_failed', {
      message: `dueAt ${dueAt} is in the past; give a future date.`,
    })
  }
}

/** A member reference: their user id, their email, or "me" for the member asking. */
export const memberReference = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `name the ${what}`)
    .max(320)
    .describe(`The ${what}: a workspace member's user id or email address, or "me" for the member asking.`)

/**
 * Finds the member a task is for. Another workspace's user is "not found" (row-level security);
 * viewers are refused, as they can read but never change data, so they could never finish a task.
 */
export async function resolveAssignee(
  tenant: TenantTransaction,
  { reference, actorUserId }: { reference: string; actorUserId: string },
): Promise<MemberSummary> {
  const idOrEmail = reference.trim().toLowerCase() === 'me' ? actorUserId : reference
  const member = await findMember(tenant, { idOrEmail })
  if (!member) {
    throw new AppError('not_found', { message: `No member "${reference}" in this workspace.` })
  }
  if (member.role === 'viewer') {
    throw new AppError('validation_failed', {
      message: `${member.name} is a viewer and cannot work on tasks; assign it to an owner, admin or member.`,
    })
  }
  return member
}
