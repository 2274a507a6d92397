import { z } from 'zod'
import { campaignChannels, createRecord } from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { defineTool } from '../tool-definition.ts'
import { unchangedStatusGuard } from './campaign-helpers.ts'

/** Longest SMS body accepted: ten concatenated segments. */
const maxSmsLength = 1600

/** create_campaign: a new campaign, always as a draft. */
export const createCampaignTool = defineTool({
  name: 'create_campaign',
  category: 'campaigns',
  risk: 'write',
  description:
    'Create a marketing campaign as a draft (nothing is sent). Give it a name, a channel (email or sms), ' +
    'the message body and, for email, a subject line. Then add recipients with add_campaign_recipients and ' +
    'schedule_campaign or send_campaign it. Returns the created campaign.',
  inputSchema: z
    .object({
      name: z
        .string()
        .trim()
        .min(1, 'a campaign needs a name')
        .max(300)
        .describe('An internal name for the campaign, e.g. "Spring launch".'),
      channel: z.enum(campaignChannels).default('email').describe('email (default) or sms.'),
      subject: z
        .string()
        .trim()
        .min(1, 'the subject must not be empty')
        .max(300)
        .optional()
        .describe('The email subject line. Required for email campaigns; SMS campaigns have none.'),
      body: z
        .string()
        .trim()
        .min(1, 'a campaign needs a message body')
        .max(100_000)
        .describe(`The message text. SMS bodies are at most ${maxSmsLength} characters.`),
    })
    .superRefine((input, context) => {
      if (input.channel === 'email' && !input.subject) {
        context.addIssue({ code: 'custom', path: ['subject'], message: 'an email campaign needs a subject' })
      }
      if (input.channel === 'sms' && input.subject) {
        context.addIssue({
          code: 'custom',
          path: ['subject'],
          message: 'SMS campaigns have no subject; leave it out',
        })
      }
      if (input.channel === 'sms' && input.body.length > maxSmsLength) {
        context.addIssue({
          code: 'custom',
          path: ['body'],
          message: `an SMS body is at most ${maxSmsLength} characters`,
        })
      }
    }),
  summarize(input) {
    const subject = input.subject ? ` with subject ${quoteName(input.subject)}` : ''
    return `Create draft ${input.channel} campaign ${quoteName(input.name)}${subject}`
  },
  async execute({ tenant, actor }, input) {
    const campaign = await createRecord(tenant, {
      kind: 'campaign',
      values: {
        name: input.name,
        channel: input.channel,
        status: 'draft',
        subject: input.subject ?? null,
        body: input.body,
        scheduledAt: null,
        sentAt: null,
        stats: {},
        createdById: actor.userId,
      },
    })
    return {
      result: { campaign },
      resultSummary: `Created draft campaign ${quoteName(campaign.name)}`,
      undo: {
        type: 'steps',
        steps: [
          {
            type: 'create',
            records: [{ kind: 'campaign', id: campaign.id, updatedAt: campaign.updatedAt as Date }],
          },
          unchangedStatusGuard(campaign),
        ],
      },
    }
  },
})
