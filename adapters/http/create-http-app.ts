import { randomUUID } from 'node:crypto'
import express, { type Express, type RequestHandler } from 'express'
import helmet from 'helmet'
import { pinoHttp } from 'pino-http'
import type { ChatService, InsightService } from '../../assistant/index.ts'
import type { Clock, Logger } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { KnowledgeService } from '../../ingest/index.ts'
import type { ToolService } from '../../tools/index.ts'
import type { WidgetTokens } from '../widget/widget-token.ts'
import { authenticateApiKey } from './authenticate.ts'
import { errorHandler, notFoundHandler } from './error-handler.ts'
import { createChatRoutes } from './routes/chat-routes.ts'
import { createHealthRoutes } from './routes/health-routes.ts'
import { createInsightRoutes } from './routes/insight-routes.ts'
import { createKnowledgeRoutes } from './routes/knowledge-routes.ts'
import { createRecordRoutes } from './routes/record-routes.ts'
import { createToolRoutes } from './routes/tool-routes.ts'
import { createWidgetAssetRoutes } from './routes/widget-asset-routes.ts'
import { createWidgetRoutes } from './routes/widget-routes.ts'

export interface CreateHttpAppOptions {
  database: Database
  logger: Logger
  clock: Clock
  toolService: ToolService
  knowledge: KnowledgeService
  /** The assistant; without it `/v1/chat` and the conversation routes are not mounted. */
  chat?: ChatService | undefined
  /** Largest accepted upload, in bytes (NEREID_MAX_UPLOAD_MB). */
  maxUploadBytes: number
  /** The embeddable widget; without it the widget routes answer that it is not enabled. */
  widget?: WidgetHttpOptions | undefined
  /** Slack's routes (`/slack/events`, `/slack/install`, `/slack/oauth_redirect`; adapters/slack). */
  slack?: RequestHandler | undefined
  /** Proactive insights and notifications; without it their routes are not mounted. */
  insights?: InsightService | undefined
}

/** What the HTTP side of the widget needs (the WebSocket server attaches to the listening server). */
export interface WidgetHttpOptions {
  /** Signs and verifies widget tokens; undefined when no secret is available (see widget-token.ts). */
  tokens: WidgetTokens | undefined
  /** The service's public origin (PUBLIC_URL), always allowed to embed the widget. */
  publicOrigin?: string | undefined
  /** The compiled `widget.js`. */
  script?: (() => Promise<string>) | undefined
  /** The demo page at `/` and its token endpoint (only with `serve --demo`). */
  demo?: { page: () => string; issueToken: () => Promise<{ token: string; expiresAt: Date }> } | undefined
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** The express application: health, the authenticated `/v1` API, one error handler. */
export function createHttpApp({
  database,
  logger,
  clock,
  toolService,
  knowledge,
  chat,
  maxUploadBytes,
  widget,
  slack,
  insights,
}: CreateHttpAppOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', 'loopback')
  // Standard security headers (nosniff, frame-ancestors, HSTS behind TLS, ...).
  app.use(helmet())
  app.use(
    pinoHttp({
      logger,
      // Reuse a caller's request id when it is sane, so logs line up across services.
      genReqId: (request, response) => {
        const incoming = request.headers['x-request-id']
        const id = typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID()
        response.setHeader('X-Request-Id', id)
        return id
      },
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'info' : 'debug',
      serializers: {
        req: (request) => ({ id: request.id, method: request.method, url: request.url }),
        res: (response) => ({ statusCode: response.statusCode }),
      },
    }),
  )
  // Before the JSON parser: Slack's signature covers the raw body.
  if (slack) app.use(slack)
  app.use(express.json({ limit: '1mb' }))
  app.use(createHealthRoutes({ database }))
  if (widget) app.use(createWidgetAssetRoutes(widget))
  app.use(
    '/v1',
    authenticateApiKey({ database, clock, widgetTokens: widget?.tokens, publicOrigin: widget?.publicOrigin }),
    createRecordRoutes({ database }),
    createToolRoutes({ toolService }),
    createKnowledgeRoutes({ knowledge, maxUploadBytes }),
    ...(chat ? [createChatRoutes({ chat, database })] : []),
    ...(insights ? [createInsightRoutes({ insights })] : []),
    createWidgetRoutes({ database, widgetTokens: widget?.tokens }),
  )
  app.use(notFoundHandler)
  app.use(errorHandler)
  return app
}
