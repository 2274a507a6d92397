import { type Fetcher, HTTPClient, UnstructuredClient } from 'unstructured-client'
import {
  ConnectionError,
  HTTPValidationError,
  RequestAbortedError,
  RequestTimeoutError,
  UnstructuredClientError,
} from 'unstructured-client/sdk/models/errors'
import type { Strategy } from 'unstructured-client/sdk/models/shared'
import { AppError } from '../../core/index.ts'
import type { DocumentParser, ParsedDocument } from '../parsed-document.ts'
import { mapUnstructuredElements, type UnstructuredElement } from './unstructured-elements.ts'

type PartitionOptions = NonNullable<Parameters<UnstructuredClient['general']['partition']>[1]>
type RetryConfig = NonNullable<PartitionOptions['retries']>

/** The formats we send to Unstructured when it is configured, with the file extension it expects. */
const extensionsByMimeType: Record<string, readonly string[]> = {
  'application/pdf': ['pdf'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': ['pptx'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['xlsx'],
  'text/html': ['html', 'htm'],
  'message/rfc822': ['eml'],
  'text/plain': ['txt', 'text', 'log'],
  'text/markdown': ['md', 'markdown'],
  'text/csv': ['csv'],
}

/** MIME types the Unstructured parser takes over from the local parsers. */
export const unstructuredMimeTypes: readonly string[] = Object.keys(extensionsByMimeType)

export type UnstructuredStrategy = 'auto' | 'fast' | 'hi_res' | 'ocr_only'

export interface CreateUnstructuredParserOptions {
  /** Base URL of the API, e.g. https://api.unstructuredapp.io or http://localhost:8000 (a path prefix is kept). */
  apiUrl: string
  /** Sent as the `unstructured-api-key` header; self-hosted servers usually need none. */
  apiKey?: string | undefined
  /** A fetch implementation (tests, proxies). Ignored when httpClient is given. */
  fetch?: Fetcher
  /** A fully configured unstructured-client HTTPClient. */
  httpClient?: HTTPClient
  /** Budget for one document, retries included. Default 120 s. */
  timeoutMs?: number
  /**
   * How long 5xx answers and connection failures are retried (with backoff) inside that
   * budget. Default 10 s; 0 disables retries. The SDK's own default retries for 30 minutes,
   * far longer than an ingest job should hang; pg-boss retries the whole job later anyway.
   */
  retryBudgetMs?: number
  /**
   * Partitioning strategy. Default 'auto': the server picks fast text extraction for PDFs with
   * a text layer and OCR/layout models (hi_res) for scanned pages and images, so cheap documents
   * stay cheap and hard ones still work.
   */
  strategy?: UnstructuredStrategy
}

/**
 * A DocumentParser backed by the Unstructured partition API (`unstructured-client`). It sends
 * the bytes and a file name with the right extension, asks for JSON elements, and maps them
 * into ParsedBlocks (see mapUnstructuredElements).
 *
 * Decisions: PDF page splitting (the SDK's default) is turned off, because its parallel
 * sub-requests carry their own 60-minute timeouts and retries and so escape `timeoutMs`; one
 * request per document keeps the budget honest. The path of `apiUrl` is kept by passing it on
 * every call (the SDK otherwise resets the base path to "/").
 *
 * Errors: the API rejecting the document (400/413/415/422 and other 4xx) -> unprocessable_document
 * with the API's message; 5xx, timeouts, connection failures, a refused key (401/403) and rate
 * limiting (429) -> unavailable, since none of those is the document's fault.
 */
export function createUnstructuredParser({
  apiUrl,
  apiKey,
  fetch: fetcher,
  httpClient,
  timeoutMs = 120_000,
  retryBudgetMs = 10_000,
  strategy = 'auto',
}: CreateUnstructuredParserOptions): DocumentParser {
  let displayUrl: string
  try {
    const parsed = new URL(apiUrl)
    displayUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`
  } catch (error) {
    throw new AppError('config_invalid', {
      message: `UNSTRUCTURED_API_URL is not a valid URL: ${JSON.stringify(apiUrl)}.`,
      cause: error,
    })
  }
  const client = new UnstructuredClient({
    serverURL: apiUrl,
    ...(apiKey ? { security: { apiKeyAuth: apiKey } } : {}),
    ...(httpClient || fetcher ? { httpClient: httpClient ?? new HTTPClient({ fetcher: fetcher! }) } : {}),
  })
  const retries: RetryConfig =
    retryBudgetMs > 0
      ? {
          strategy: 'backoff',
          backoff: { initialInterval: 500, maxInterval: 4_000, exponent: 2, maxElapsedTime: retryBudgetMs },
          retryConnectionErrors: true,
        }
      : { strategy: 'none' }

  return {
    name: 'unstructured',
    mimeTypes: unstructuredMimeTypes,
    async parse({ bytes, fileName, mimeType }): Promise<ParsedDocument> {
      const name = fileNameFor(fileName, mimeType)
      let response: string | Array<Record<string, unknown>>
      try {
        response = await client.general.partition(
          {
            partitionParameters: {
              // A File carries both the name (Unstructured detects formats by extension too)
              // and our sniffed MIME type as the part's Content-Type.
              files: new File([bytes as Uint8Array<ArrayBuffer>], name, { type: mimeType }),
              contentType: mimeType,
              strategy: strategy as Strategy,
              splitPdfPage: false,
            },
          },
          { serverURL: apiUrl, timeoutMs, retries, retryCodes: ['5xx'] },
        )
      } catch (error) {
        throw toAppError(error, displayUrl, timeoutMs)
      }
      const elements = toElements(response, displayUrl)
      const mapped = mapUnstructuredElements(elements)
      return { title: mapped.title, mimeType, pageCount: mapped.pageCount, blocks: mapped.blocks }
    },
  }
}

function fileNameFor(fileName: string | undefined, mimeType: string): string {
  const extensions = extensionsByMimeType[mimeType] ?? []
  const base = fileName?.trim() || 'document'
  const lower = base.toLowerCase()
  if (extensions.length === 0 || extensions.some((extension) => lower.endsWith(`.${extension}`))) return base
  return `${base}.${extensions[0]}`
}

function toElements(response: unknown, displayUrl: string): UnstructuredElement[] {
  let value = response
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      value = undefined
    }
  }
  // Every element the API produces has a string `type`. The check matters because the SDK's
  // PDF-split hook re-serializes every successful body as `[body].flat()`, so a non-list answer
  // arrives here wrapped in an array instead of failing the SDK's own response validation.
  const isElement = (item: unknown): boolean =>
    item !== null && typeof item === 'object' && typeof (item as { type?: unknown }).type === 'string'
  if (!Array.isArray(value) || !value.every(isElement)) {
    throw new AppError('unavailable', {
      message: `The Unstructured API at ${displayUrl} answered with something other than a list of elements.`,
    })
  }
  return value as UnstructuredElement[]
}

function toAppError(error: unknown, displayUrl: string, timeoutMs: number): AppError {
  if (error instanceof AppError) return error
  const unavailable = (reason: string, details?: Record<string, unknown>): AppError =>
    new AppError('unavailable', {
      message: `The Unstructured API at ${displayUrl} is unavailable (${reason}).`,
      cause: error,
      ...(details ? { details } : {}),
    })

  if (error instanceof RequestTimeoutError) {
    return unavailable(`no answer within ${describeDuration(timeoutMs)}`, { timeoutMs })
  }
  if (error instanceof ConnectionError) return unavailable('could not connect')
  if (error instanceof RequestAbortedError) return unavailable('the request was aborted')
  if (error instanceof UnstructuredClientError) {
    const status = error.statusCode
    if (status === 401 || status === 403) {
      return new AppError('unavailable', {
        message: `The Unstructured API at ${displayUrl} refused the API key (${status}); check UNSTRUCTURED_API_KEY.`,
        cause: error,
        details: { status },
      })
    }
    if (status === 429) return unavailable('rate limited, 429', { status })
    if (status >= 400 && status < 500) {
      const apiMessage = apiMessageOf(error)
      return new AppError('unprocessable_document', {
        message: apiMessage
          ? `The Unstructured API could not process the document: ${apiMessage}`
          : `The Unstructured API could not process the document (status ${status}).`,
        cause: error,
        details: { status },
      })
    }
    return unavailable(`it answered ${status}`, { status })
  }
  // ResponseValidationError, UnexpectedClientError, SDKValidationError and anything else.
  return unavailable('unexpected client error')
}

/** The human part of an error answer: FastAPI's `detail` (string or validation list), else the body. */
function apiMessageOf(error: UnstructuredClientError): string {
  let detail: unknown
  if (error instanceof HTTPValidationError) {
    detail = error.detail
  } else {
    try {
      detail = (JSON.parse(error.body) as { detail?: unknown; message?: unknown }).detail
      if (detail === undefined) detail = (JSON.parse(error.body) as { message?: unknown }).message
    } catch {
      detail = error.body
    }
  }
  let text = ''
  if (typeof detail === 'string') {
    text = detail
  } else if (Array.isArray(detail)) {
    text = detail
      .map((item) => {
        if (item && typeof item === 'object' && 'msg' in item) {
          const { msg, loc } = item as { msg?: unknown; loc?: unknown }
          const where = Array.isArray(loc) ? loc.filter((part) => part !== 'body').join('.') : ''
          return where ? `${where}: ${String(msg)}` : String(msg)
        }
        return typeof item === 'string' ? item : JSON.stringify(item)
      })
      .join('; ')
  } else if (detail !== undefined && detail !== null) {
    text = JSON.stringify(detail)
  }
  text = text.replace(/\s+/g, ' ').trim()
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

function describeDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds} ms`
  const seconds = Math.round(milliseconds / 100) / 10
  return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`
}
