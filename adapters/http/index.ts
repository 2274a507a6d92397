export { type CreateHttpAppOptions, createHttpApp, type WidgetHttpOptions } from './create-http-app.ts'
export { getRequestContext, type RequestContext } from './request-context.ts'
export { type RunningHttpServer, startHttpServer } from './start-http-server.ts'
