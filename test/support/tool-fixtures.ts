import {
  createInProcessEventBus,
  createLogger,
  type EventBus,
  fixedClock,
  type NereidEvent,
} from '../../core/index.ts'
import { type Database, type MemberRole, seedDemoWorkspace } from '../../db/index.ts'
import { type Actor, allTools, createToolService, type ToolService } from '../../tools/index.ts'

export interface ToolTestbed {
  service: ToolService
  bus: EventBus
  events: NereidEvent[]
  /** A settable clock: tests move time forward for expiry. */
  clock: { now(): Date; set(instant: Date): void; advance(ms: number): void }
  workspaceId: string
  members: Record<MemberRole | 'member2', { userId: string; email: string }>
  actor(role: MemberRole | 'member2', overrides?: Partial<Actor>): Actor
}

/**
 * The demo workspace plus a tool service over it (in-process bus, settable clock), for tests that
 * exercise tools and decisions without any language model.
 */
export async function createToolTestbed({
  database,
  slug = 'tools',
  now = new Date('2026-03-02T09:00:00Z'),
}: {
  database: Database
  slug?: string
  now?: Date
}): Promise<ToolTestbed> {
  let current = now
  const clock = {
    now: () => new Date(current.getTime()),
    set: (instant: Date) => {
      current = instant
    },
    advance: (ms: number) => {
      current = new Date(current.getTime() + ms)
    },
  }
  const seeded = await seedDemoWorkspace({ database, clock: fixedClock(now), slug })
  const byRole = (role: MemberRole, index = 0) =>
    seeded.members.filter((member) => member.role === role)[index]!
  const members = {
    owner: byRole('owner'),
    admin: byRole('admin'),
    member: byRole('member'),
    member2: byRole('member', 1),
    viewer: byRole('viewer'),
  }
  const bus = createInProcessEventBus()
  const events: NereidEvent[] = []
  bus.subscribe((event) => events.push(event))
  const service = createToolService({
    database,
    tools: allTools,
    clock,
    bus,
    logger: createLogger({ level: 'silent' }),
  })
  return {
    service,
    bus,
    events,
    clock,
    workspaceId: seeded.workspace.id,
    members: Object.fromEntries(
      Object.entries(members).map(([role, member]) => [role, { userId: member.userId, email: member.email }]),
    ) as ToolTestbed['members'],
    actor: (role, overrides = {}) => ({
      workspaceId: seeded.workspace.id,
      userId: members[role].userId,
      role: role === 'member2' ? 'member' : role,
      channel: 'api',
      ...overrides,
    }),
  }
}
