import {
  createInsightService,
  type InsightRunSummary,
  type InsightService,
  presentInsight,
} from '../../assistant/index.ts'
import { AppError, createInProcessEventBus, type EventBus } from '../../core/index.ts'
import { createPostgresEventBus, findWorkspace, type InsightStatus, insightStatuses } from '../../db/index.ts'
import { allTools, createToolService } from '../../tools/index.ts'
import { resolveCommandTarget } from '../command-target.ts'
import { type CommandEnvironment, ensureMigrated, type Runtime, withRuntime } from '../runtime.ts'

/**
 * The insight service for one command. With a real server the bus is Postgres LISTEN/NOTIFY, so
 * notifications raised here reach the widget sessions of every serving process; in embedded mode the
 * bus is in-process (the rows are still written and the widget lists them when it next loads).
 */
async function withInsights<Result>(
  runtime: Runtime,
  work: (insights: InsightService) => Promise<Result>,
): Promise<Result> {
  const { database, logger, clock } = runtime
  const bus: EventBus =
    database.mode === 'postgres'
      ? await createPostgresEventBus({ url: database.url, logger })
      : createInProcessEventBus()
  try {
    const toolService = createToolService({ database, tools: allTools, clock, bus, logger })
    return await work(createInsightService({ database, toolService, clock, bus, logger }))
  } finally {
    await bus.close()
  }
}

function describeRun(
  summary: InsightRunSummary | { workspaceId: string; error: string },
  name: string,
): string[] {
  if ('error' in summary) return [`${name}: failed: ${summary.error}`]
  if (!summary.enabled) return [`${name}: insights are switched off (settings.insights.enabled)`]
  const lines = [
    `${name}: ${summary.raised} raised, ${summary.refreshed} still open, ${summary.resolved} resolved, ` +
      `${summary.reopened} back from snooze, ${summary.notifications} notifications (${Math.round(summary.durationMs)} ms)`,
  ]
  for (const detector of summary.detectors) {
    lines.push(
      `  ${detector.type.padEnd(18)} ${String(detector.found).padStart(6)} found  ${Math.round(detector.durationMs)} ms` +
        (detector.error ? `  FAILED: ${detector.error}` : ''),
    )
  }
  return lines
}

/**
 * `nereid insights run [--workspace]`: runs the detectors now over one workspace, or every workspace
 * (one failing workspace is reported and the others still run). Returns how many failed.
 */
export async function runInsightsCommand(
  commandEnvironment: CommandEnvironment,
  { workspace }: { workspace?: string | undefined },
): Promise<{ failed: number }> {
  return withRuntime(commandEnvironment, async (runtime) => {
    await ensureMigrated({
      database: runtime.database,
      allowMigrate: false,
      output: commandEnvironment.output,
    })
    const targets = workspace
      ? await runtime.database.withSystem(async (system) => {
          const found = await findWorkspace(system, { idOrSlug: workspace })
          if (!found)
            throw new AppError('not_found', { message: `No workspace "${workspace}" (give its id or slug).` })
          return [found]
        })
      : undefined
    return withInsights(runtime, async (insights) => {
      const results = await insights.runAllInsights({ workspaceIds: targets?.map((target) => target.id) })
      let failed = 0
      for (const result of results) {
        const name = targets?.find((target) => target.id === result.workspaceId)?.slug ?? result.workspaceId
        if ('error' in result || result.detectors.some((detector) => detector.error)) failed += 1
        for (const line of describeRun(result, name)) commandEnvironment.output.log(line)
      }
      return { failed }
    })
  })
}

/** `nereid insights digest --workspace`: sends today's digest now (at most once per member and day). */
export async function runDigestCommand(
  commandEnvironment: CommandEnvironment,
  { workspace }: { workspace: string },
): Promise<void> {
  await withRuntime(commandEnvironment, async (runtime) => {
    const target = await resolveCommandTarget({ database: runtime.database, workspace })
    await withInsights(runtime, async (insights) => {
      const digest = await insights.runDigest({ workspaceId: target.workspace.id })
      commandEnvironment.output.log(
        `${target.workspace.slug}: ${digest.notifications} digest(s) for ${digest.date}`,
      )
    })
  })
}

/** `nereid insights list --workspace [--user] [--status]`: a member's insights. */
export async function listInsightsCommand(
  commandEnvironment: CommandEnvironment,
  { workspace, user, status }: { workspace: string; user?: string | undefined; status?: string | undefined },
): Promise<void> {
  if (status && !insightStatuses.includes(status as InsightStatus)) {
    throw new AppError('validation_failed', {
      message: `--status must be one of ${insightStatuses.join(', ')}.`,
    })
  }
  await withRuntime(commandEnvironment, async (runtime) => {
    const target = await resolveCommandTarget({ database: runtime.database, workspace, user })
    await withInsights(runtime, async (insights) => {
      const rows = await insights.listInsights({
        actor: {
          workspaceId: target.workspace.id,
          userId: target.member.userId,
          role: target.member.role,
          channel: 'cli',
        },
        statuses: status ? [status as InsightStatus] : undefined,
        limit: 100,
        offset: 0,
      })
      if (rows.length === 0) commandEnvironment.output.log('No insights.')
      for (const row of rows.map(presentInsight)) {
        commandEnvironment.output.log(
          `${row.id}  ${row.status.padEnd(9)} ${row.severity.padEnd(8)} ${row.title}`,
        )
      }
    })
  })
}
