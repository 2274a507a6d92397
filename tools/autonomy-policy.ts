import type { AutonomyMode, AutonomyScopeType, MemberRole, ToolCategory, ToolRisk } from '../db/index.ts'

/** A stored preference: the member's own (`userId` set) or a workspace default (`userId` null). */
export interface AutonomyPreference {
  userId: string | null
  scopeType: AutonomyScopeType
  scope: string
  mode: AutonomyMode
}

export interface AutonomyDecision {
  mode: AutonomyMode
  /** Which rule decided (stable identifiers, listed in `autonomyRules`). */
  rule: AutonomyRule
  /** A sentence for people: why the call runs, waits or is refused. */
  reason: string
}

/** Risks that never run unasked on a member's word alone. */
export const elevatedRisks: readonly ToolRisk[] = ['bulk', 'external', 'destructive']

/**
 * The resolution order, first match wins. This list is the single place it is defined; the README
 * copies it and autonomy-policy.test.ts has a test per rule.
 *
 * 1. viewer-read-only   viewers never run anything but read tools: off.
 * 2. workspace-off      an admin switched the tool, its category or its risk off for the workspace: off.
 * 3. member-off         the member switched the tool, its category or its risk off: off.
 * 4. read-runs          read tools run.
 * 5. member-choice      the member's own most specific preference (tool, then category, then risk).
 * 6. workspace-default  else the workspace's most specific default (tool, then category, then risk).
 * 7. risk-default       else ask (write, bulk, external and destructive all ask by default).
 * 8. elevated-needs-admin  a bulk/external/destructive tool that would run unasked only does so when
 *    the member opted in themselves (rule 5) AND either they are an owner/admin or the workspace
 *    default for it is auto (an admin allowed it). Otherwise it asks.
 */
export const autonomyRules = [
  'viewer-read-only',
  'workspace-off',
  'member-off',
  'read-runs',
  'member-choice',
  'workspace-default',
  'risk-default',
  'elevated-needs-admin',
] as const
export type AutonomyRule = (typeof autonomyRules)[number]

export interface ResolveAutonomyOptions {
  tool: { name: string; category: ToolCategory; risk: ToolRisk }
  role: MemberRole
  userId: string
  preferences: readonly AutonomyPreference[]
}

/** Decides whether a tool call runs (`auto`), waits for approval (`ask`) or is refused (`off`). */
export function resolveAutonomy({
  tool,
  role,
  userId,
  preferences,
}: ResolveAutonomyOptions): AutonomyDecision {
  const scopes: [AutonomyScopeType, string][] = [
    ['tool', tool.name],
    ['category', tool.category],
    ['risk', tool.risk],
  ]
  const mostSpecific = (owner: 'member' | 'workspace') => {
    for (const [scopeType, scope] of scopes) {
      const found = preferences.find(
        (preference) =>
          preference.scopeType === scopeType &&
          preference.scope === scope &&
          (owner === 'member' ? preference.userId === userId : preference.userId === null),
      )
      if (found) return found
    }
    return undefined
  }
  const anyOff = (owner: 'member' | 'workspace') =>
    scopes.some(([scopeType, scope]) =>
      preferences.some(
        (preference) =>
          preference.scopeType === scopeType &&
          preference.scope === scope &&
          preference.mode === 'off' &&
          (owner === 'member' ? preference.userId === userId : preference.userId === null),
      ),
    )

  if (role === 'viewer' && tool.risk !== 'read') {
    return {
      mode: 'off',
      rule: 'viewer-read-only',
      reason: 'Viewers can read and chat but never change data.',
    }
  }
  if (anyOff('workspace')) {
    return {
      mode: 'off',
      rule: 'workspace-off',
      reason: `An admin has switched ${tool.name} off for this workspace.`,
    }
  }
  if (anyOff('member')) {
    return { mode: 'off', rule: 'member-off', reason: `You have switched ${tool.name} off.` }
  }
  if (tool.risk === 'read') {
    return { mode: 'auto', rule: 'read-runs', reason: 'Read-only tools run without asking.' }
  }
  const own = mostSpecific('member')
  const workspaceDefault = mostSpecific('workspace')
  let decision: AutonomyDecision
  if (own) {
    decision = {
      mode: own.mode,
      rule: 'member-choice',
      reason: `Your setting for ${own.scopeType} "${own.scope}" is ${own.mode}.`,
    }
  } else if (workspaceDefault) {
    decision = {
      mode: workspaceDefault.mode,
      rule: 'workspace-default',
      reason: `The workspace default for ${workspaceDefault.scopeType} "${workspaceDefault.scope}" is ${workspaceDefault.mode}.`,
    }
  } else {
    decision = {
      mode: 'ask',
      rule: 'risk-default',
      reason: `${capitalize(tool.risk)} tools ask for approval by default.`,
    }
  }
  if (decision.mode === 'auto' && elevatedRisks.includes(tool.risk)) {
    const optedIn = decision.rule === 'member-choice'
    const isAdmin = role === 'owner' || role === 'admin'
    const adminAllowed = workspaceDefault?.mode === 'auto'
    if (!optedIn || !(isAdmin || adminAllowed)) {
      return {
        mode: 'ask',
        rule: 'elevated-needs-admin',
        reason: optedIn
          ? `${capitalize(tool.risk)} tools run without asking only when an owner or admin allows it for the workspace.`
          : `${capitalize(tool.risk)} tools run without asking only when you opt in yourself.`,
      }
    }
  }
  return decision
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
