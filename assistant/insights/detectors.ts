import { campaignHealthDetector } from './campaign-health.ts'
import { customersAtRiskDetector } from './customers-at-risk.ts'
import { dealsPastCloseDetector } from './deals-past-close.ts'
import type { InsightDetector } from './detector.ts'
import { hotProspectsDetector } from './hot-prospects.ts'
import { overdueTasksDetector } from './overdue-tasks.ts'
import { staleDealsDetector } from './stale-deals.ts'

/** Every detector a run executes, in this order. */
export const allDetectors: readonly InsightDetector[] = [
  staleDealsDetector,
  dealsPastCloseDetector,
  overdueTasksDetector,
  hotProspectsDetector,
  campaignHealthDetector,
  customersAtRiskDetector,
]
