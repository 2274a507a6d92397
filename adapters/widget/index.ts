export { buildWidgetScript } from './build-widget.ts'
export { type DemoPageOptions, demoPageHtml } from './demo-page.ts'
export { isAllowedWidgetOrigin } from './widget-origins.ts'
export * from './widget-protocol.ts'
export {
  attachWidgetServer,
  defaultWidgetLimits,
  type WidgetLimits,
  type WidgetServer,
  type WidgetServerOptions,
} from './widget-server.ts'
export {
  createWidgetTokens,
  defaultWidgetTokenSeconds,
  resolveWidgetSecret,
  type WidgetIdentity,
  type WidgetTokens,
  widgetTokenPrefix,
} from './widget-token.ts'
