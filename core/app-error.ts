/**
 * The one error type of Nereid. Every failure a user can cause or see carries a stable `code`;
 * the HTTP status comes from the code, and `cause` (database or third-party details) is logged,
 * never sent to the user.
 */
export const errorStatusByCode = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  ambiguous_reference: 409,
  expired: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable_document: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  config_invalid: 500,
} as const

export type ErrorCode = keyof typeof errorStatusByCode

export interface AppErrorOptions {
  message: string
  /** Overrides the status derived from the code (rarely needed). */
  status?: number
  cause?: unknown
  /** Extra, user-safe details (e.g. which field failed validation). */
  details?: Record<string, unknown>
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, { message, status, cause, details }: AppErrorOptions) {
    super(message, { cause })
    this.name = 'AppError'
    this.code = code
    this.status = status ?? errorStatusByCode[code]
    this.details = details
  }

  /** The JSON body sent to clients: never the cause, never a stack. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    }
  }
}

/** True for an AppError. */
export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError
}
