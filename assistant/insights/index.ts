export {
  type DetectorContext,
  type InsightDetector,
  recipientsFor,
} from './detector.ts'
export { allDetectors } from './detectors.ts'
export {
  acceptablePhrasing,
  createModelInsightPhraser,
  type InsightPhraser,
  type ModelInsightPhraserOptions,
} from './insight-phraser.ts'
export {
  createInsightScheduler,
  type InsightScheduler,
  insightDigestQueue,
  insightRunQueue,
} from './insight-scheduler.ts'
export {
  createInsightService,
  type DetectorOutcome,
  type DigestSummary,
  type InsightRunSummary,
  type InsightService,
  type InsightServiceOptions,
  type NotificationSender,
  presentInsight,
  presentNotification,
  withRelativeDates,
} from './insight-service.ts'
export {
  defaultInsightSettings,
  type InsightSettings,
  insightSettingsSchema,
  resolveInsightSettings,
} from './insight-settings.ts'
export { inQuietHours, localDate, localMinuteOfDay, pushChannels } from './notification-policy.ts'
