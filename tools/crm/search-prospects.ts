import { z } from 'zod'
import { prospectStages, searchProspects } from '../../db/index.ts'
import { formatLabel, quoteName } from '../format.ts'
import { pageLimit, recordId } from '../shared-schemas.ts'
import { defineTool } from '../tool-definition.ts'
import { prospectScore } from './crm-helpers.ts'

/** search_prospects: find leads by name, company, stage, score, owner or overdue follow-up. */
export const searchProspectsTool = defineTool({
  name: 'search_prospects',
  category: 'crm',
  risk: 'read',
  description:
    'Search the prospects (potential buyers not yet customers) by name, company, email or source, ' +
    'optionally filtered by stage, a minimum score (0-100), owner, or whether their follow-up is overdue. ' +
    'Hottest (highest score) first. Returns id, name, company, stage, score, owner, next follow-up ' +
    '(and whether it is overdue) and notes, plus the total number of matches.',
  inputSchema: z.object({
    query: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe('Words to look for in names, companies, emails and sources (every word must match).'),
    stage: z.enum(prospectStages).optional().describe('Only prospects in this stage.'),
    minScore: prospectScore.optional().describe('Only prospects with at least this score (0-100).'),
    ownerId: recordId('owner (workspace member user)').optional(),
    followUpOverdue: z
      .boolean()
      .optional()
      .describe(
        'true: only open prospects whose next follow-up date has passed; false: only those without an overdue follow-up.',
      ),
    limit: pageLimit,
  }),
  summarize(input) {
    const filters = [
      input.query ? `matching ${quoteName(input.query)}` : '',
      input.stage ? `in ${formatLabel(input.stage)}` : '',
      input.minScore !== undefined ? `score ${input.minScore}+` : '',
      input.followUpOverdue === true ? 'with an overdue follow-up' : '',
      input.followUpOverdue === false ? 'without an overdue follow-up' : '',
      input.ownerId ? 'of one owner' : '',
    ].filter(Boolean)
    return filters.length > 0 ? `Search prospects ${filters.join(', ')}` : 'List prospects'
  },
  async execute({ tenant, clock }, input) {
    const { rows, total } = await searchProspects(tenant, { ...input, now: clock.now() })
    return {
      result: { prospects: rows, total },
      resultSummary: `Found ${total} prospect(s)${total > rows.length ? `, showing ${rows.length}` : ''}`,
    }
  },
})
