import { Command, InvalidArgumentError } from 'commander'
import {
  addUserCommand,
  createKeyCommand,
  createWorkspaceCommand,
  listKeysCommand,
  revokeKeyCommand,
  seedCommand,
} from './commands/admin-commands.ts'
import { chatCommand } from './commands/chat-command.ts'
import { doctor } from './commands/doctor-command.ts'
import { listInsightsCommand, runDigestCommand, runInsightsCommand } from './commands/insight-commands.ts'
import {
  ingestCommand,
  listKnowledgeCommand,
  reindexKnowledgeCommand,
  searchKnowledgeCommand,
} from './commands/knowledge-commands.ts'
import { migrate, migrationStatus, rollback } from './commands/migration-commands.ts'
import { type RunningService, serve } from './commands/serve-command.ts'
import {
  linkSlackTeamCommand,
  listSlackCommand,
  slackInstallUrlCommand,
  unlinkSlackTeamCommand,
} from './commands/slack-commands.ts'
import type { CommandEnvironment } from './runtime.ts'

function integer(value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('expected a whole number')
  return parsed
}

export interface ProgramHooks {
  /** Called with the running service so the caller can wire shutdown signals (or stop it in tests). */
  onServing?(service: RunningService): void
  /** Called with a command's exit code when it is not 0. */
  onExitCode?(code: number): void
}

/** The `nereid` command line. Each action uses the injected environment and output. */
export function createProgram(commandEnvironment: CommandEnvironment, hooks: ProgramHooks = {}): Command {
  const program = new Command('nereid')
    .description('Nereid: a chat-first AI assistant for business teams')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => commandEnvironment.output.log(text.trimEnd()),
      writeErr: (text) => commandEnvironment.output.error(text.trimEnd()),
    })

  program
    .command('serve')
    .description('start the HTTP service (embedded database unless DATABASE_URL is set)')
    .option('--migrate', 'apply pending migrations on a real PostgreSQL before serving', false)
    .option('--demo', 'create the demo workspace if missing and print its API key', false)
    .option('--port <port>', 'override PORT', integer)
    .action(async (options: { migrate: boolean; demo: boolean; port?: number }) => {
      const service = await serve(commandEnvironment, options)
      hooks.onServing?.(service)
    })

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() => migrate(commandEnvironment))
  program
    .command('rollback')
    .description('revert the last migration (or --steps N, or --all)')
    .option('--steps <n>', 'how many migrations to revert', integer, 1)
    .option('--all', 'revert every migration', false)
    .action((options: { steps: number; all: boolean }) => rollback(commandEnvironment, options))
  program
    .command('status')
    .description('list applied and pending migrations')
    .action(async () => {
      const { pending } = await migrationStatus(commandEnvironment)
      if (pending.length > 0) hooks.onExitCode?.(3)
    })

  const workspace = program.command('workspace').description('manage workspaces')
  workspace
    .command('create')
    .requiredOption('--name <name>', 'display name')
    .option('--slug <slug>', 'URL-safe identifier (default: from the name)')
    .option('--time-zone <zone>', 'IANA time zone, e.g. Europe/Berlin', 'UTC')
    .action(async (options: { name: string; slug?: string; timeZone?: string }) => {
      await createWorkspaceCommand(commandEnvironment, options)
    })

  const user = program.command('user').description('manage workspace members')
  user
    .command('add')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .requiredOption('--email <email>', "the user's email (created if new)")
    .option('--role <role>', 'owner, admin, member or viewer', 'member')
    .option('--name <name>', 'display name')
    .action((options: { workspace: string; email: string; role: string; name?: string }) =>
      addUserCommand(commandEnvironment, options),
    )

  const key = program.command('key').description('manage API keys')
  key
    .command('create')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .option('--name <name>', 'a label for the key', 'API key')
    .action(async (options: { workspace: string; name: string }) => {
      await createKeyCommand(commandEnvironment, options)
    })
  key
    .command('list')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .action((options: { workspace: string }) => listKeysCommand(commandEnvironment, options))
  key
    .command('revoke')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .requiredOption('--id <key-id>', 'the key id (from key list)')
    .action((options: { workspace: string; id: string }) => revokeKeyCommand(commandEnvironment, options))

  program
    .command('seed')
    .description('create sample data')
    .option('--demo', 'a realistic demo workspace (customers, contacts, deals, tasks, campaigns)', false)
    .option('--slug <slug>', 'slug of the demo workspace', 'demo')
    .action((options: { demo: boolean; slug: string }) => seedCommand(commandEnvironment, options))

  program
    .command('ingest')
    .description('add files, directories (recursively) or URLs to a workspace knowledge base')
    .argument('<sources...>', 'files, directories or http(s) URLs')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .option('--user <email-or-id>', 'the member adding them (default: the owner)')
    .option('--collection <id>', 'a knowledge collection id')
    .action(async (sources: string[], options: { workspace: string; user?: string; collection?: string }) => {
      const { failed } = await ingestCommand(commandEnvironment, { sources, ...options })
      if (failed > 0) hooks.onExitCode?.(4)
    })

  const insights = program.command('insights').description('proactive insights')
  insights
    .command('run')
    .description('run the insight detectors now (every workspace unless --workspace)')
    .option('--workspace <id-or-slug>', 'only this workspace')
    .action(async (options: { workspace?: string }) => {
      const { failed } = await runInsightsCommand(commandEnvironment, options)
      if (failed > 0) hooks.onExitCode?.(4)
    })
  insights
    .command('digest')
    .description("send today's digest now (once per member and day)")
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .action((options: { workspace: string }) => runDigestCommand(commandEnvironment, options))
  insights
    .command('list')
    .description("a member's insights")
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .option('--user <email-or-id>', 'the member (default: the owner)')
    .option('--status <status>', 'open, dismissed, snoozed, accepted or resolved')
    .action((options: { workspace: string; user?: string; status?: string }) =>
      listInsightsCommand(commandEnvironment, options),
    )

  const knowledge = program.command('knowledge').description('the knowledge base')
  knowledge
    .command('list')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .option('--user <email-or-id>', 'act as this member')
    .action((options: { workspace: string; user?: string }) =>
      listKnowledgeCommand(commandEnvironment, options),
    )
  knowledge
    .command('search')
    .argument('<query>', 'what to look for')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .option('--user <email-or-id>', 'act as this member')
    .option('-k <count>', 'how many passages', integer, 5)
    .action((query: string, options: { workspace: string; user?: string; k: number }) =>
      searchKnowledgeCommand(commandEnvironment, { query, ...options }),
    )
  knowledge
    .command('reindex')
    .description(
      're-embed chunks with the configured embedding model (after changing NEREID_EMBEDDING_MODEL)',
    )
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .option('--all', 're-embed every document, not only those embedded by another model', false)
    .action((options: { workspace: string; all: boolean }) =>
      reindexKnowledgeCommand(commandEnvironment, options),
    )

  program
    .command('chat')
    .description('chat with the assistant in the terminal (streams answers, asks before changes)')
    .option('--workspace <id-or-slug>', 'the workspace (default: the only one, or the demo workspace)')
    .option('--user <email-or-id>', 'chat as this member (default: the owner)')
    .option('-m, --message <text>', 'send one message, print the answer and exit')
    .option('--conversation <id>', 'continue a conversation')
    .action(
      async (options: { workspace?: string; user?: string; message?: string; conversation?: string }) => {
        const { exitCode } = await chatCommand(commandEnvironment, options)
        if (exitCode !== 0) hooks.onExitCode?.(exitCode)
      },
    )

  const slack = program.command('slack').description('connect Slack workspaces (teams) to Nereid workspaces')
  slack
    .command('link')
    .description('link a Slack team to a workspace (its members are matched by email)')
    .requiredOption('--team <team-id>', 'the Slack team id, e.g. T0123ABCD')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .option('--move', 'move a team that is linked to another workspace', false)
    .action((options: { team: string; workspace: string; move: boolean }) =>
      linkSlackTeamCommand(commandEnvironment, options),
    )
  slack
    .command('unlink')
    .requiredOption('--team <team-id>', 'the Slack team id')
    .action((options: { team: string }) => unlinkSlackTeamCommand(commandEnvironment, options))
  slack
    .command('list')
    .description('linked teams and OAuth installations')
    .action(() => listSlackCommand(commandEnvironment))
  slack
    .command('install-url')
    .description('a signed /slack/install link that links the installing team to a workspace')
    .requiredOption('--workspace <id-or-slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await slackInstallUrlCommand(commandEnvironment, options)
    })

  program
    .command('doctor')
    .description('show what is configured and what is missing')
    .action(async () => {
      if (!(await doctor(commandEnvironment))) hooks.onExitCode?.(1)
    })

  return program
}
