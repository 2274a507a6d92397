import { describe, expect, it } from 'vitest'
import type { MemberRole, ToolRisk } from '../db/index.ts'
import { type AutonomyPreference, resolveAutonomy } from './autonomy-policy.ts'

const userId = 'member-1'
const tool = (risk: ToolRisk, name = `tool_${risk}`) => ({ name, category: 'crm' as const, risk })
const mine = (
  scopeType: AutonomyPreference['scopeType'],
  scope: string,
  mode: AutonomyPreference['mode'],
) => ({
  userId,
  scopeType,
  scope,
  mode,
})
const workspace = (
  scopeType: AutonomyPreference['scopeType'],
  scope: string,
  mode: AutonomyPreference['mode'],
) => ({
  userId: null,
  scopeType,
  scope,
  mode,
})
const resolve = (risk: ToolRisk, role: MemberRole, preferences: AutonomyPreference[] = []) =>
  resolveAutonomy({ tool: tool(risk), role, userId, preferences })

describe('autonomy policy, one test per rule in resolution order', () => {
  it('viewer-read-only: a viewer never writes, whatever the settings say', () => {
    for (const risk of ['write', 'bulk', 'external', 'destructive'] as const) {
      const decision = resolve(risk, 'viewer', [
        mine('tool', `tool_${risk}`, 'auto'),
        workspace('risk', risk, 'auto'),
      ])
      expect(decision).toMatchObject({ mode: 'off', rule: 'viewer-read-only' })
    }
    expect(resolve('read', 'viewer').mode).toBe('auto')
  })

  it('workspace-off: an admin switching a tool, category or risk off beats every member setting', () => {
    expect(
      resolve('write', 'owner', [workspace('tool', 'tool_write', 'off'), mine('tool', 'tool_write', 'auto')]),
    ).toMatchObject({
      mode: 'off',
      rule: 'workspace-off',
    })
    expect(resolve('write', 'member', [workspace('category', 'crm', 'off')]).rule).toBe('workspace-off')
    expect(resolve('read', 'member', [workspace('risk', 'read', 'off')]).mode).toBe('off')
  })

  it('member-off: a member can switch a tool off for themselves, reads included', () => {
    expect(resolve('read', 'member', [mine('tool', 'tool_read', 'off')])).toMatchObject({
      mode: 'off',
      rule: 'member-off',
    })
    expect(
      resolve('write', 'member', [mine('category', 'crm', 'off'), workspace('tool', 'tool_write', 'auto')])
        .rule,
    ).toBe('member-off')
  })

  it('read-runs: read tools run without asking, even if someone set them to ask', () => {
    expect(resolve('read', 'member', [mine('tool', 'tool_read', 'ask')])).toMatchObject({
      mode: 'auto',
      rule: 'read-runs',
    })
  })

  it('member-choice: the most specific own setting wins (tool over category over risk) and over workspace defaults', () => {
    expect(
      resolve('write', 'member', [mine('risk', 'write', 'auto'), mine('tool', 'tool_write', 'ask')]),
    ).toMatchObject({
      mode: 'ask',
      rule: 'member-choice',
    })
    expect(
      resolve('write', 'member', [mine('category', 'crm', 'auto'), workspace('tool', 'tool_write', 'ask')]),
    ).toMatchObject({ mode: 'auto', rule: 'member-choice' })
  })

  it('workspace-default: without an own setting the workspace default applies, most specific first', () => {
    expect(
      resolve('write', 'member', [
        workspace('risk', 'write', 'ask'),
        workspace('tool', 'tool_write', 'auto'),
      ]),
    ).toMatchObject({ mode: 'auto', rule: 'workspace-default' })
  })

  it('risk-default: with no settings every non-read risk asks', () => {
    for (const risk of ['write', 'bulk', 'external', 'destructive'] as const) {
      expect(resolve(risk, 'owner')).toMatchObject({ mode: 'ask', rule: 'risk-default' })
    }
  })

  it('elevated-needs-admin: bulk/external/destructive run unasked only with an own opt-in plus admin rights or admin allowance', () => {
    for (const risk of ['bulk', 'external', 'destructive'] as const) {
      // A member's own opt-in is not enough...
      expect(resolve(risk, 'member', [mine('tool', `tool_${risk}`, 'auto')])).toMatchObject({
        mode: 'ask',
        rule: 'elevated-needs-admin',
      })
      // ...nor is an admin's allowance without the member opting in...
      expect(resolve(risk, 'member', [workspace('tool', `tool_${risk}`, 'auto')])).toMatchObject({
        mode: 'ask',
        rule: 'elevated-needs-admin',
      })
      // ...both together run.
      expect(
        resolve(risk, 'member', [workspace('risk', risk, 'auto'), mine('tool', `tool_${risk}`, 'auto')]),
      ).toMatchObject({
        mode: 'auto',
        rule: 'member-choice',
      })
      // Owners and admins allow themselves by opting in.
      for (const role of ['owner', 'admin'] as const) {
        expect(resolve(risk, role, [mine('risk', risk, 'auto')]).mode).toBe('auto')
        expect(resolve(risk, role, [workspace('risk', risk, 'auto')]).mode).toBe('ask')
      }
    }
    // Plain writes are not elevated: a workspace default of auto is enough.
    expect(resolve('write', 'member', [workspace('risk', 'write', 'auto')]).mode).toBe('auto')
  })
})
