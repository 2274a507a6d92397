import { Router } from 'express'
import type { WidgetHttpOptions } from '../create-http-app.ts'

/**
 * The widget's public side: `GET /widget.js` (loadable from any page: the socket and the API check
 * the page's origin, not the script), CORS preflights for the API calls the widget makes from the
 * host page, and, with `serve --demo`, the demo page at `/` with its token endpoint.
 */
export function createWidgetAssetRoutes({ script, demo }: WidgetHttpOptions): Router {
  const router = Router()

  if (script) {
    router.get('/widget.js', async (_request, response) => {
      const body = await script()
      response
        .status(200)
        .type('application/javascript; charset=utf-8')
        .set('Cache-Control', 'public, max-age=300')
        .set('Cross-Origin-Resource-Policy', 'cross-origin')
        .send(body)
    })
  }

  // Preflight of the widget's API calls (bearer token, no cookies). Which origins may actually use
  // a token is decided per workspace when the request itself arrives (authenticate.ts).
  router.options('/v1/{*path}', (request, response, next) => {
    const origin = request.get('origin')
    if (!origin) {
      next()
      return
    }
    response
      .status(204)
      .set('Access-Control-Allow-Origin', origin)
      .set('Vary', 'Origin')
      .set('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE')
      .set('Access-Control-Allow-Headers', 'authorization, content-type, x-request-id')
      .set('Access-Control-Max-Age', '600')
      .end()
  })

  if (demo) {
    router.get('/', (_request, response) => {
      response.status(200).type('html').send(demo.page())
    })
    router.post('/demo/widget-token', async (_request, response) => {
      response.status(200).json(await demo.issueToken())
    })
  }
  return router
}
