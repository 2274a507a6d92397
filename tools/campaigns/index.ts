import type { ToolDefinition } from '../tool-definition.ts'
import { addCampaignRecipientsTool } from './add-campaign-recipients.ts'
import { createCampaignTool } from './create-campaign.ts'
import { deleteCampaignTool } from './delete-campaign.ts'
import { getCampaignStatsTool } from './get-campaign-stats.ts'
import { listCampaignsTool } from './list-campaigns.ts'
import { pauseCampaignTool } from './pause-campaign.ts'
import { scheduleCampaignTool } from './schedule-campaign.ts'
import { sendCampaignTool } from './send-campaign.ts'

/** The campaign tools. */
export const campaignTools: ToolDefinition[] = [
  listCampaignsTool,
  getCampaignStatsTool,
  createCampaignTool,
  addCampaignRecipientsTool,
  scheduleCampaignTool,
  sendCampaignTool,
  pauseCampaignTool,
  deleteCampaignTool,
] as ToolDefinition[]
