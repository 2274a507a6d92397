import { lookup as dnsLookup } from 'node:dns/promises'
import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { pipeline, type Readable } from 'node:stream'
import zlib from 'node:zlib'
import { AppError } from '../../core/index.ts'
import { classifyAddress } from './address-policy.ts'

/** One address a hostname resolves to. */
export interface ResolvedAddress {
  address: string
  /** 4 or 6. */
  family: number
}

/** Resolves a hostname to all of its addresses (injectable so tests never touch real DNS). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>

export interface FetchUrlOptions {
  url: string | URL
  /**
   * Allow private, loopback, link-local and other non-public addresses. Off by default: a URL
   * given by a workspace member must not reach the server's own network (SSRF).
   */
  allowPrivateNetworks?: boolean
  /**
   * Hostnames (exact, case-insensitive; literal IPs allowed) exempt from the private-network
   * check, e.g. an intranet wiki an operator trusts. Every other host, including redirect
   * targets, is still checked.
   */
  allowedHosts?: readonly string[]
  /** Largest body accepted, after decompression. Default 25 MiB. */
  maxBytes?: number
  /** Budget for the whole fetch: DNS, connecting, every redirect, the body. Default 15 s. */
  timeoutMs?: number
  /** Budget for opening each TCP connection. Default min(timeoutMs, 10 s). */
  connectTimeoutMs?: number
  /** Redirects followed before giving up. Default 5. */
  maxRedirects?: number
  /** DNS resolution; default node:dns/promises `lookup` with `all: true`. */
  lookup?: HostLookup
  userAgent?: string
  /** Cancels the fetch (e.g. a job being shut down). */
  signal?: AbortSignal
}

export interface FetchedUrl {
  bytes: Uint8Array
  /** The Content-Type without parameters, lower-cased; undefined when the server sent none. */
  mimeType: string | undefined
  /** The charset parameter of the Content-Type, lower-cased, when present. */
  charset?: string
  /** From Content-Disposition, else the last segment of the final URL's path. */
  fileName: string | undefined
  /** The URL after redirects. */
  finalUrl: string
}

export const defaultFetchMaxBytes = 25 * 1024 * 1024
export const defaultFetchUserAgent = 'NereidBot/0.1 (knowledge ingestion; +https://github.com/nereid)'

/**
 * Content types a fetched URL may declare. application/octet-stream is accepted because many
 * servers label documents that way; content sniffing decides what the bytes really are.
 */
export const acceptedFetchMimeTypes: readonly string[] = [
  'text/html',
  'application/xhtml+xml',
  'text/plain',
  'text/markdown',
  'text/x-markdown',
  'text/csv',
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'message/rfc822',
  'application/octet-stream',
]

const redirectStatuses = new Set([301, 302, 303, 307, 308])

const systemLookup: HostLookup = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true })
  return answers.map(({ address, family }) => ({ address, family }))
}

/**
 * Fetches a URL for ingestion, safely: only http(s), no credentials in the URL, every hop's
 * host resolved once and refused when any address is not public (unless allowed), the
 * connection pinned to exactly the validated addresses (no second DNS answer can rebind it),
 * redirects re-validated, one time budget for everything, the size limit enforced while
 * streaming, and only document-like content types accepted.
 *
 * @throws AppError bad_request (bad URL, redirects, non-2xx), forbidden (non-public address),
 * payload_too_large, unsupported_media_type, unavailable (timeouts, connection failures).
 */
export async function fetchUrl({
  url,
  allowPrivateNetworks = false,
  allowedHosts = [],
  maxBytes = defaultFetchMaxBytes,
  timeoutMs = 15_000,
  connectTimeoutMs = Math.min(timeoutMs, 10_000),
  maxRedirects = 5,
  lookup = systemLookup,
  userAgent = defaultFetchUserAgent,
  signal,
}: FetchUrlOptions): Promise<FetchedUrl> {
  const deadline = AbortSignal.timeout(timeoutMs)
  const abortSignal = signal ? AbortSignal.any([deadline, signal]) : deadline
  const exempt = new Set(allowedHosts.map((host) => normalizeHostname(host)))
  const abortError = (phase: 'response' | 'body'): AppError =>
    signal?.aborted
      ? new AppError('unavailable', { message: 'Fetching the URL was cancelled.', cause: signal.reason })
      : new AppError('unavailable', {
          message:
            phase === 'response'
              ? `The URL did not respond within ${describeDuration(timeoutMs)}.`
              : `The page did not finish downloading within ${describeDuration(timeoutMs)}.`,
          details: { timeoutMs },
        })

  let target = parseTarget(String(url))
  for (let redirects = 0; ; redirects++) {
    const hostname = normalizeHostname(target.hostname)
    const addresses = await resolveHost({
      hostname,
      lookup,
      signal: abortSignal,
      onAbort: () => abortError('response'),
    })
    if (!allowPrivateNetworks && !exempt.has(hostname)) assertPublic(hostname, addresses)

    const response = await openRequest({
      target,
      hostname,
      addresses,
      userAgent,
      connectTimeoutMs,
      signal: abortSignal,
      onAbort: () => abortError('response'),
    })
    const status = response.statusCode ?? 0

    if (redirectStatuses.has(status) && response.headers.location) {
      response.destroy()
      if (redirects >= maxRedirects) {
        throw new AppError('bad_request', {
          message: `The URL redirected more than ${maxRedirects} times; giving up.`,
          details: { maxRedirects },
        })
      }
      target = parseTarget(response.headers.location, target)
      continue
    }

    if (status < 200 || status > 299) {
      response.destroy()
      // The reason phrase comes from our own table, never from the remote server.
      const reason = http.STATUS_CODES[status] ?? 'an unexpected status'
      throw new AppError('bad_request', {
        message: `The URL answered ${status} ${reason}.`,
        details: { status },
      })
    }

    const { mimeType, charset } = parseContentType(response.headers['content-type'])
    if (mimeType !== undefined && !acceptedFetchMimeTypes.includes(mimeType)) {
      response.destroy()
      throw new AppError('unsupported_media_type', {
        message: `The URL returned ${mimeType}, which is not a supported document type.`,
        details: { mimeType },
      })
    }

    const declaredLength = Number(response.headers['content-length'])
    if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
      response.destroy()
      throw tooLarge(maxBytes)
    }

    const bytes = await readBody({
      response,
      maxBytes,
      signal: abortSignal,
      onAbort: () => abortError('body'),
    })
    return {
      bytes,
      mimeType,
      ...(charset ? { charset } : {}),
      fileName:
        fileNameFromContentDisposition(response.headers['content-disposition']) ?? fileNameFromUrl(target),
      finalUrl: target.href,
    }
  }
}

/** Parses and checks a URL (or a redirect's Location relative to the previous hop). */
function parseTarget(input: string, base?: URL): URL {
  let target: URL
  try {
    target = new URL(input, base)
  } catch (error) {
    throw new AppError('bad_request', {
      message: base
        ? 'The URL redirected to an address that is not a valid URL.'
        : 'That is not a valid URL.',
      cause: error,
    })
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new AppError('bad_request', {
      message: base
        ? `The URL redirected to a ${target.protocol} address; only http and https can be fetched.`
        : `Only http and https URLs can be fetched, not ${target.protocol}.`,
      details: { protocol: target.protocol },
    })
  }
  if (target.username || target.password) {
    throw new AppError('bad_request', {
      message: base
        ? 'The URL redirected to an address with a user name or password, which is not allowed.'
        : 'URLs with a user name or password are not allowed.',
    })
  }
  if (!target.hostname) throw new AppError('bad_request', { message: 'The URL has no host.' })
  return target
}

/** URL.hostname keeps IPv6 brackets and may end with a dot; neither matters for lookup. */
function normalizeHostname(hostname: string): string {
  return hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase()
}

async function resolveHost({
  hostname,
  lookup,
  signal,
  onAbort,
}: {
  hostname: string
  lookup: HostLookup
  signal: AbortSignal
  onAbort: () => AppError
}): Promise<ResolvedAddress[]> {
  const family = isIP(hostname)
  if (family !== 0) return [{ address: hostname, family }]
  let answers: ResolvedAddress[]
  try {
    answers = await raceAbort(lookup(hostname), signal, onAbort)
  } catch (error) {
    if (error instanceof AppError) throw error
    const code = (error as { code?: string }).code
    if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NONAME') {
      throw new AppError('bad_request', { message: `The host ${hostname} could not be found.`, cause: error })
    }
    throw new AppError('unavailable', {
      message: `The host ${hostname} could not be resolved right now.`,
      cause: error,
    })
  }
  const addresses = answers.filter((answer) => isIP(answer.address.replace(/%.*$/, '')) !== 0)
  if (addresses.length === 0) {
    throw new AppError('bad_request', { message: `The host ${hostname} could not be found.` })
  }
  return addresses.map(({ address, family: answerFamily }) => ({
    address,
    family: answerFamily === 6 || isIP(address.replace(/%.*$/, '')) === 6 ? 6 : 4,
  }))
}

/** Refuses the hop when ANY address is not public: an attacker controls which one we'd get. */
function assertPublic(hostname: string, addresses: ResolvedAddress[]): void {
  for (const { address } of addresses) {
    const verdict = classifyAddress(address)
    if (verdict.allowed) continue
    const subject = hostname === address ? `The address ${address} is` : `The address resolves to`
    const where = hostname === address ? verdict.description : `${verdict.description} (${address})`
    throw new AppError('forbidden', {
      message: `${subject} ${where}; fetching it is not allowed.`,
      details: { host: hostname, address, range: verdict.range },
    })
  }
}

function openRequest({
  target,
  hostname,
  addresses,
  userAgent,
  connectTimeoutMs,
  signal,
  onAbort,
}: {
  target: URL
  hostname: string
  addresses: ResolvedAddress[]
  userAgent: string
  connectTimeoutMs: number
  signal: AbortSignal
  onAbort: () => AppError
}): Promise<http.IncomingMessage> {
  // The connection may only go to the addresses we validated: Node asks this function instead
  // of DNS, so a second, different DNS answer (rebinding) never reaches the socket.
  const pinnedLookup: LookupFunction = (_name, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0
    const candidates = addresses.filter((address) => wanted === 0 || address.family === wanted)
    const usable = candidates.length > 0 ? candidates : addresses
    if (options.all) {
      callback(null, usable)
    } else {
      const first = usable[0]!
      callback(null, first.address, first.family)
    }
  }
  const literal = isIP(hostname) !== 0
  const transport = target.protocol === 'https:' ? https : http

  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(onAbort())
      return
    }
    let connectTimer: NodeJS.Timeout | undefined
    const request = transport.request({
      protocol: target.protocol,
      host: hostname,
      port: target.port || undefined,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      // A fresh agent per request: a pooled keep-alive socket might have been opened under a
      // more permissive policy (allowPrivateNetworks) for the same host name.
      agent: false,
      ...(literal ? {} : { lookup: pinnedLookup, servername: hostname }),
      headers: {
        'user-agent': userAgent,
        accept: 'text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.8',
        'accept-encoding': 'gzip, deflate, br',
      },
    })
    const abort = (): void => {
      request.destroy(onAbort())
    }
    const cleanup = (): void => {
      clearTimeout(connectTimer)
      signal.removeEventListener('abort', abort)
    }
    signal.addEventListener('abort', abort, { once: true })
    request.on('socket', (socket) => {
      if (!socket.connecting) return
      connectTimer = setTimeout(() => {
        request.destroy(
          new AppError('unavailable', {
            message: `Could not connect to ${hostname} within ${describeDuration(connectTimeoutMs)}.`,
            details: { connectTimeoutMs },
          }),
        )
      }, connectTimeoutMs)
      socket.once('connect', () => clearTimeout(connectTimer))
    })
    request.once('response', (response) => {
      cleanup()
      resolve(response)
    })
    request.once('error', (error) => {
      cleanup()
      reject(error instanceof AppError ? error : connectionError(hostname, error))
    })
    request.end()
  })
}

function connectionError(hostname: string, error: Error): AppError {
  const code = (error as { code?: string }).code ?? ''
  if (code === 'ECONNREFUSED') {
    return new AppError('unavailable', {
      message: `Could not connect to ${hostname}: the connection was refused.`,
      cause: error,
    })
  }
  if (/CERT|SELF_SIGNED|TLS|SSL/i.test(code)) {
    return new AppError('bad_request', {
      message: `The TLS certificate of ${hostname} could not be verified (${code}).`,
      cause: error,
    })
  }
  return new AppError('unavailable', {
    message: `The connection to ${hostname} failed${code ? ` (${code})` : ''}.`,
    cause: error,
  })
}

async function readBody({
  response,
  maxBytes,
  signal,
  onAbort,
}: {
  response: http.IncomingMessage
  maxBytes: number
  signal: AbortSignal
  onAbort: () => AppError
}): Promise<Uint8Array> {
  const encoding = String(response.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase()
  let decoder: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = zlib.createGunzip()
  else if (encoding === 'deflate') decoder = zlib.createInflate()
  else if (encoding === 'br') decoder = zlib.createBrotliDecompress()
  else if (encoding !== 'identity' && encoding !== '') {
    response.destroy()
    throw new AppError('bad_request', {
      message: `The URL answered with an unsupported content encoding (${encoding}).`,
      details: { encoding },
    })
  }
  // pipeline() destroys both streams when either fails, so an aborted response ends the loop.
  const body: Readable = decoder ? pipeline(response, decoder, () => {}) : response

  const abort = (): void => {
    body.destroy(onAbort())
  }
  if (signal.aborted) abort()
  signal.addEventListener('abort', abort, { once: true })
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer
      total += buffer.length
      if (total > maxBytes) {
        // The limit counts decompressed bytes, so a small gzip bomb is stopped as well.
        throw tooLarge(maxBytes)
      }
      chunks.push(buffer)
    }
  } catch (error) {
    if (error instanceof AppError) throw error
    const code = (error as { code?: string }).code ?? ''
    if (code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code.startsWith('ERR__')) {
      throw new AppError('bad_request', {
        message: `The URL sent a ${encoding} body that could not be decompressed.`,
        cause: error,
      })
    }
    throw new AppError('unavailable', {
      message: 'The connection closed before the page was complete.',
      cause: error,
    })
  } finally {
    signal.removeEventListener('abort', abort)
    response.destroy()
    decoder?.destroy()
  }
  const bytes = Buffer.concat(chunks, total)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', {
    message: `The page is larger than ${describeSize(maxBytes)}.`,
    details: { maxBytes },
  })
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => AppError): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort())
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort())
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error)
      },
    )
  })
}

/** Splits "text/html; charset=UTF-8" into its lower-cased type and charset. */
export function parseContentType(header: string | undefined): {
  mimeType: string | undefined
  charset: string | undefined
} {
  if (!header) return { mimeType: undefined, charset: undefined }
  const [type = '', ...parameters] = header.split(';')
  const mimeType = type.trim().toLowerCase() || undefined
  let charset: string | undefined
  for (const parameter of parameters) {
    const match = /^\s*charset\s*=\s*"?([^";]+)"?\s*$/i.exec(parameter)
    if (match?.[1]) charset = match[1].trim().toLowerCase()
  }
  return { mimeType, charset }
}

/** Reads filename*= (RFC 6266 / 5987) or filename= from a Content-Disposition header. */
export function fileNameFromContentDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined
  const extended = /filename\*\s*=\s*([\w!#$&+.^`|~-]*)'[^']*'([^;\s]+)/i.exec(header)
  if (extended?.[2]) {
    const charset = (extended[1] ?? '').toLowerCase()
    try {
      const decoded =
        charset === 'iso-8859-1' || charset === 'latin1'
          ? percentDecode(extended[2]).toString('latin1')
          : decodeURIComponent(extended[2])
      const name = sanitizeFileName(decoded)
      if (name) return name
    } catch {
      // A malformed extended value falls back to the plain parameter below.
    }
  }
  const quoted = /(?:^|;)\s*filename\s*=\s*"((?:\\.|[^"\\])*)"/i.exec(header)
  if (quoted?.[1] !== undefined) return sanitizeFileName(quoted[1].replace(/\\(.)/g, '$1'))
  const token = /(?:^|;)\s*filename\s*=\s*([^;\s]+)/i.exec(header)
  if (token?.[1]) return sanitizeFileName(token[1])
  return undefined
}

function percentDecode(value: string): Buffer {
  const bytes: number[] = []
  for (let index = 0; index < value.length; index++) {
    const hex = value.slice(index + 1, index + 3)
    if (value[index] === '%' && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      index += 2
    } else {
      bytes.push(value.charCodeAt(index) & 0xff)
    }
  }
  return Buffer.from(bytes)
}

function fileNameFromUrl(target: URL): string | undefined {
  const segment = target.pathname.split('/').pop() ?? ''
  if (!segment) return undefined
  try {
    return sanitizeFileName(decodeURIComponent(segment))
  } catch {
    return sanitizeFileName(segment)
  }
}

/** Keeps only the last path component, without control characters, at most 255 characters. */
function sanitizeFileName(name: string): string | undefined {
  const base = (name.split(/[/\\]/).pop() ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
  if (!base || base === '.' || base === '..') return undefined
  return base.slice(0, 255)
}

/** "25 MB" for 25 MiB, "512 KB", "1000 bytes". */
export function describeSize(bytes: number): string {
  const mebibyte = 1024 * 1024
  if (bytes >= mebibyte) {
    const value = bytes / mebibyte
    return `${Number.isInteger(value) ? value : value.toFixed(1)} MB`
  }
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`
  return `${bytes} bytes`
}

function describeDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds} ms`
  const seconds = milliseconds / 1000
  const text = Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1)
  return `${text} ${seconds === 1 ? 'second' : 'seconds'}`
}
