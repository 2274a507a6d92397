import type { ErrorRequestHandler, RequestHandler } from 'express'
import { AppError, isAppError } from '../../core/index.ts'

/** 404 for any route nobody handled, in the same error shape as everything else. */
export const notFoundHandler: RequestHandler = (request) => {
  throw new AppError('not_found', { message: `No route ${request.method} ${request.path}.` })
}

/**
 * The one place errors become responses: `{ error: { code, message } }` with the code's status.
 * Unexpected errors are logged with their details and answered with a generic 500; nothing from
 * the database or a third party reaches the client.
 */
export const errorHandler: ErrorRequestHandler = (error, request, response, _next) => {
  const appError = toAppError(error)
  if (appError.status >= 500) {
    request.log?.error({ err: error }, 'request failed')
  } else {
    request.log?.info({ code: appError.code, message: appError.message }, 'request rejected')
  }
  if (response.headersSent) {
    response.end()
    return
  }
  response.status(appError.status).json(appError.toJSON())
}

function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error
  const bodyError = error as { type?: string; status?: number }
  if (bodyError.type === 'entity.parse.failed') {
    return new AppError('bad_request', { message: 'The request body is not valid JSON.', cause: error })
  }
  if (bodyError.type === 'entity.too.large') {
    return new AppError('payload_too_large', { message: 'The request body is too large.', cause: error })
  }
  if (bodyError.type === 'encoding.unsupported' || bodyError.type === 'charset.unsupported') {
    return new AppError('unsupported_media_type', {
      message: 'The request body encoding is not supported.',
      cause: error,
    })
  }
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    return new AppError('bad_request', {
      message: 'The request could not be read.',
      status: bodyError.status,
      cause: error,
    })
  }
  return new AppError('internal', {
    message: 'Something went wrong on our side. The error has been logged.',
    cause: error,
  })
}
