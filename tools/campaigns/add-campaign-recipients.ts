import { z } from 'zod'
import { AppError } from '../../core/index.ts'
import {
  addCampaignRecipients,
  customerStatuses,
  findExistingContactIds,
  type PlainRecord,
  previewCampaignRecipients,
  type RecipientAddress,
  type RecipientPreview,
  type RecipientSelection,
  requireRecord,
} from '../../db/index.ts'
import { quoteName } from '../format.ts'
import { recordId, recordReference } from '../shared-schemas.ts'
import { defineTool, type ToolContext } from '../tool-definition.ts'
import {
  addressFor,
  assertCampaignStatus,
  countOf,
  resolveCampaign,
  unchangedStatusGuard,
} from './campaign-helpers.ts'

/** The most recipients one call adds (by ids or by filter). */
const maxRecipientsPerCall = 5000

/** How many added contact ids the result lists. */
const maxListedContacts = 100

/** Campaigns that can still take recipients: nothing has gone out yet. */
const openStatuses = ['draft', 'scheduled'] as const

const inputSchema = z
  .object({
    campaign: recordReference('campaign'),
    contactIds: z
      .array(recordId('contact'))
      .min(1, 'give at least one contact id')
      .max(maxRecipientsPerCall, `at most ${maxRecipientsPerCall} contacts per call`)
      .optional()
      .describe('The contacts to add, by id. Give either contactIds or filter, not both.'),
    filter: z
      .strictObject({
        customerId: recordId('customer').optional().describe('Only contacts of this customer.'),
        customerStatus: z
          .enum(customerStatuses)
          .optional()
          .describe('Only contacts whose customer has this status: lead, active, inactive or churned.'),
        titleContains: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .optional()
          .describe('Only contacts whose job title contains this text (case-insensitive), e.g. "CTO".'),
        emailDomain: z
          .string()
          .trim()
          .regex(/^@?[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'expected an email domain like example.com')
          .optional()
          .describe('Only contacts whose email address is at this domain, e.g. "acme.example".'),
      })
      .optional()
      .describe(
        'Select contacts by criteria instead of ids; all given criteria must match. An empty filter {} selects every contact.',
      ),
  })
  .refine((input) => (input.contactIds === undefined) !== (input.filter === undefined), {
    message: 'give exactly one of contactIds or filter',
  })

type Input = z.output<typeof inputSchema>

function selectionOf(input: Input): RecipientSelection {
  return input.contactIds ? { contactIds: [...new Set(input.contactIds)] } : { filter: input.filter ?? {} }
}

/**
 * Checks the campaign can take recipients and the selection names real contacts, then counts what
 * an add would do. Shared by prepare (for the approval card) and execute (the state may have
 * changed while the action waited).
 */
async function plan(
  context: ToolContext,
  input: Input,
  { lock }: { lock: boolean },
): Promise<{ campaign: PlainRecord; selection: RecipientSelection; preview: RecipientPreview }> {
  const campaign = await resolveCampaign(context, { reference: input.campaign, lock })
  assertCampaignStatus(campaign, { allowed: openStatuses, doing: 'get new recipients' })
  const selection = selectionOf(input)
  if ('contactIds' in selection) {
    const existing = new Set(await findExistingContactIds(context.tenant, { ids: selection.contactIds }))
    const missing = selection.contactIds.filter((id) => !existing.has(id))
    if (missing.length > 0) {
      throw new AppError('not_found', {
        message: `${countOf(missing.length, 'contact id')} not found in this workspace: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}.`,
        details: { missing },
      })
    }
  } else if (selection.filter.customerId) {
    await requireRecord(context.tenant, { kind: 'customer', id: selection.filter.customerId })
  }
  const address = addressFor(campaign)
  const preview = await previewCampaignRecipients(context.tenant, {
    campaignId: campaign.id,
    selection,
    address,
  })
  if (preview.toAdd > maxRecipientsPerCall) {
    throw new AppError('validation_failed', {
      message: `The filter selects ${preview.toAdd} new recipients; at most ${maxRecipientsPerCall} can be added at once. Narrow the filter.`,
    })
  }
  if (preview.toAdd === 0) {
    throw new AppError('validation_failed', {
      message: `Nothing to add to campaign ${quoteName(campaign.name)}: ${describeSelection(preview, address)}.`,
      details: { ...preview },
    })
  }
  return { campaign, selection, preview }
}

/** Why contacts were left out: already on the campaign, or no address for the channel. */
function skipNotes(
  { alreadyAdded, unreachable }: { alreadyAdded: number; unreachable: number },
  address: RecipientAddress,
): string[] {
  const notes: string[] = []
  if (alreadyAdded > 0) notes.push(`${alreadyAdded} already added`)
  if (unreachable > 0) {
    notes.push(`${unreachable} without ${address === 'email' ? 'an email address' : 'a phone number'}`)
  }
  return notes
}

function describeSelection(preview: RecipientPreview, address: RecipientAddress): string {
  if (preview.matched === 0) return 'no contact matches'
  return [`${countOf(preview.matched, 'contact')} matched`, ...skipNotes(preview, address)].join(', ')
}

function skipped(preview: { alreadyAdded: number; unreachable: number }, address: RecipientAddress): string {
  const notes = skipNotes(preview, address)
  return notes.length > 0 ? ` (skipping ${notes.join(', ')})` : ''
}

/**
 * add_campaign_recipients: put contacts on a campaign's audience, by id or by filter. Contacts
 * already on the campaign and contacts the channel cannot reach (no email for email campaigns, no
 * phone for SMS) are skipped. A filter stays a filter in the stored input: what runs on approval is
 * the audience the filter selects then, and the result reports exactly who was added.
 */
export const addCampaignRecipientsTool = defineTool({
  name: 'add_campaign_recipients',
  category: 'campaigns',
  risk: 'bulk',
  description:
    'Add contacts as recipients of a draft or scheduled campaign (by campaign id or name). Either list contactIds ' +
    `(up to ${maxRecipientsPerCall}) or give a filter: customerId, customerStatus (lead, active, inactive, churned), ` +
    'titleContains and/or emailDomain. Contacts already on the campaign are skipped, and so are contacts without an ' +
    'email address (email campaigns) or phone number (SMS campaigns). Returns how many were added and skipped.',
  inputSchema,
  async prepare(context, input) {
    const { campaign, preview } = await plan(context, input, { lock: false })
    return {
      // Canonical: the campaign by id, each contact once.
      input: {
        ...input,
        campaign: campaign.id,
        ...(input.contactIds ? { contactIds: [...new Set(input.contactIds)] } : {}),
      },
      facts: { name: campaign.name, address: addressFor(campaign), ...preview },
    }
  },
  summarize(input, facts) {
    const toAdd = Number(facts.toAdd ?? input.contactIds?.length ?? 0)
    const skips = skipped(
      { alreadyAdded: Number(facts.alreadyAdded ?? 0), unreachable: Number(facts.unreachable ?? 0) },
      facts.address === 'phone' ? 'phone' : 'email',
    )
    return `Add ${countOf(toAdd, 'contact')} to campaign ${quoteName(facts.name ?? input.campaign)}${skips}`
  },
  async execute(context, input) {
    const { campaign, selection, preview } = await plan(context, input, { lock: true })
    const address = addressFor(campaign)
    const added = await addCampaignRecipients(context.tenant, { campaignId: campaign.id, selection, address })
    // Another call may have added some of them since the preview; the insert is what counts.
    const alreadyAdded = preview.alreadyAdded + (preview.toAdd - added.length)
    return {
      result: {
        campaignId: campaign.id,
        added: added.length,
        skippedAlreadyAdded: alreadyAdded,
        skippedUnreachable: preview.unreachable,
        // The first contacts added, so the answer stays small for thousands of recipients.
        addedContactIds: added.slice(0, maxListedContacts).map((recipient) => recipient.contactId),
      },
      resultSummary: `Added ${countOf(added.length, 'contact')} to campaign ${quoteName(campaign.name)}${skipped({ alreadyAdded, unreachable: preview.unreachable }, address)}`,
      undo:
        added.length > 0
          ? {
              type: 'steps',
              steps: [
                {
                  type: 'create',
                  records: added.map((recipient) => ({
                    kind: 'campaign_recipient' as const,
                    id: recipient.id,
                    updatedAt: recipient.updatedAt,
                  })),
                },
                unchangedStatusGuard(campaign),
              ],
            }
          : undefined,
    }
  },
})
