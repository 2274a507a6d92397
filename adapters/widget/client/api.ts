/**
 * The widget's HTTP calls to the Nereid API, authenticated with the widget token
 * (`Authorization: Bearer <token>`, which names the member): document uploads with progress, their
 * status, undo, notifications.
 */
export interface ApiOptions {
  serverUrl: string
  getToken: (options?: { fresh?: boolean }) => Promise<string>
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface DocumentStatus {
  id: string
  status: 'processing' | 'ready' | 'failed' | string
  error?: string | null
  title?: string
  chunkCount?: number
}

/** The `{ error: { code, message } }` body of a failed call, or a plain description. */
function errorFrom(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error
  const message =
    typeof error?.message === 'string'
      ? error.message
      : status === 0
        ? 'The server could not be reached.'
        : `The server answered ${status}.`
  return new ApiError(status, typeof error?.code === 'string' ? error.code : 'http_error', message)
}

export function createApi({ serverUrl, getToken }: ApiOptions) {
  async function call(method: string, path: string, retried = false): Promise<unknown> {
    const token = await getToken()
    let response: Response
    try {
      response = await fetch(`${serverUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      })
    } catch {
      throw errorFrom(0, null)
    }
    // An expired token: once more with a fresh one.
    if (response.status === 401 && !retried) {
      await getToken({ fresh: true })
      return call(method, path, true)
    }
    const body = await response.json().catch(() => null)
    if (!response.ok) throw errorFrom(response.status, body)
    return body
  }

  return {
    /**
     * Uploads a file to the knowledge base (`POST /v1/knowledge/documents`, multipart `file`) with
     * upload progress (XMLHttpRequest: fetch reports none). Resolves with `{ id, status }`.
     */
    async upload(file: File, onProgress: (fraction: number) => void): Promise<DocumentStatus> {
      const token = await getToken()
      return new Promise((resolve, reject) => {
        const request = new XMLHttpRequest()
        request.open('POST', `${serverUrl}/v1/knowledge/documents`)
        request.setRequestHeader('authorization', `Bearer ${token}`)
        request.setRequestHeader('accept', 'application/json')
        request.responseType = 'json'
        request.upload.onprogress = (event) => {
          if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total)
        }
        request.onload = () => {
          if (request.status >= 200 && request.status < 300) resolve(request.response as DocumentStatus)
          else reject(errorFrom(request.status, request.response))
        }
        request.onerror = () => reject(errorFrom(0, null))
        request.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'))
        const form = new FormData()
        form.append('file', file, file.name)
        request.send(form)
      })
    },
    document: (id: string) =>
      call('GET', `/v1/knowledge/documents/${encodeURIComponent(id)}`) as Promise<DocumentStatus>,
    undo: (actionId: string) =>
      call('POST', `/v1/actions/${encodeURIComponent(actionId)}/undo`) as Promise<{
        status?: string
        summary?: string
      }>,
    notifications: () => call('GET', '/v1/notifications?limit=20') as Promise<{ data?: unknown[] }>,
    markNotificationRead: (id: string) => call('POST', `/v1/notifications/${encodeURIComponent(id)}/read`),
    /** Runs the insight's suggested action through the member's autonomy policy (may wait for approval). */
    acceptInsight: (id: string) =>
      call('POST', `/v1/insights/${encodeURIComponent(id)}/accept`) as Promise<{
        action?: { status?: string; summary?: string }
      }>,
    dismissInsight: (id: string) => call('POST', `/v1/insights/${encodeURIComponent(id)}/dismiss`),
  }
}

export type Api = ReturnType<typeof createApi>
