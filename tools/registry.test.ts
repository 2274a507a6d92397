import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { allTools } from './registry.ts'

const required = {
  read: [
    'search_contacts',
    'get_contact',
    'search_customers',
    'search_prospects',
    'search_deals',
    'list_tasks',
    'list_campaigns',
    'get_campaign_stats',
  ],
  write: [
    'create_contact',
    'update_contact',
    'create_customer',
    'create_prospect',
    'update_prospect',
    'log_interaction',
    'create_deal',
    'update_deal',
    'create_task',
    'update_task',
    'complete_task',
    'assign_task',
    'create_campaign',
    'pause_campaign',
  ],
  bulk: ['add_campaign_recipients'],
  external: ['schedule_campaign', 'send_campaign'],
  destructive: ['delete_contact', 'delete_deal', 'delete_task', 'delete_campaign'],
}

describe('the tool registry', () => {
  it('has every tool the product promises, with the right risk class', () => {
    for (const [risk, names] of Object.entries(required)) {
      for (const name of names) {
        expect(allTools.find((tool) => tool.name === name)?.risk, name).toBe(risk)
      }
    }
  })

  it('describes every tool and every input field for a language model', () => {
    for (const tool of allTools) {
      expect(tool.description.length, tool.name).toBeGreaterThan(40)
      expect(tool.name).toMatch(/^[a-z]+(_[a-z]+)+$/)
      type Property = { description?: string; anyOf?: { description?: string }[] }
      const schema = z.toJSONSchema(tool.inputSchema, { io: 'input' }) as {
        properties?: Record<string, Property>
      }
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        // A nullable field's description sits on its non-null branch.
        const description =
          property.description ?? property.anyOf?.find((option) => option.description)?.description
        expect(description, `${tool.name}.${field}`).toBeTruthy()
      }
    }
  })

  it('says why external effects cannot be undone', () => {
    expect(allTools.find((tool) => tool.name === 'send_campaign')?.notUndoableBecause).toMatch(
      /cannot be unsent/,
    )
  })
})
