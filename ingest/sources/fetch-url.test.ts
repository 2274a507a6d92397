import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { AppError } from '../../core/index.ts'
import { classifyAddress } from './address-policy.ts'
import { describeSize, type FetchUrlOptions, fetchUrl, type HostLookup } from './fetch-url.ts'

interface SeenRequest {
  url: string
  host: string | undefined
  userAgent: string | undefined
}

let server: http.Server
let port: number
let seen: SeenRequest[] = []

const routes: Record<string, (request: http.IncomingMessage, response: http.ServerResponse) => void> = {
  '/page': (_request, response) => {
    response.writeHead(200, {
      'content-type': 'text/html; charset=UTF-8',
      'content-disposition': 'attachment; filename="report.html"',
    })
    response.end('<html><body><h1>Quarterly report</h1></body></html>')
  },
  '/files/notes%20v2.txt': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' })
    response.end('plain notes')
  },
  '/octet': (_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="fallback.pdf"; filename*=UTF-8''Pr%C3%BCfbericht%202026.pdf`,
    })
    response.end('%PDF-1.7 fake')
  },
  '/no-type': (_request, response) => {
    response.writeHead(200)
    response.end('no content type at all')
  },
  '/redirect/1': (_request, response) => {
    response.writeHead(302, { location: '/redirect/2' })
    response.end()
  },
  '/redirect/2': (_request, response) => {
    response.writeHead(301, { location: `http://nereid.test:${port}/page` })
    response.end()
  },
  '/loop': (_request, response) => {
    response.writeHead(302, { location: '/loop' })
    response.end()
  },
  '/to-private': (_request, response) => {
    response.writeHead(302, { location: `http://internal.test:${port}/page` })
    response.end()
  },
  '/to-loopback-literal': (_request, response) => {
    response.writeHead(307, { location: `http://127.0.0.1:${port}/page` })
    response.end()
  },
  '/to-ftp': (_request, response) => {
    response.writeHead(302, { location: 'ftp://files.example.com/report.pdf' })
    response.end()
  },
  '/big-declared': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2000' })
    response.end('x'.repeat(2000))
  },
  '/huge-declared': (_request, response) => {
    // Announces 30 MB but never sends it: the fetch must refuse on the header alone.
    response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(30 * 1024 * 1024) })
    response.flushHeaders()
  },
  '/big-chunked': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' })
    for (let index = 0; index < 5; index++) response.write('y'.repeat(600))
    response.end()
  },
  '/gzip': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' })
    response.end(gzipSync('<p>compressed page</p>'))
  },
  '/gzip-bomb': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
    response.end(gzipSync(Buffer.alloc(5 * 1024 * 1024)))
  },
  '/bad-gzip': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' })
    response.end('this is not gzip')
  },
  '/slow': () => {
    // Never answers.
  },
  '/slow-body': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' })
    response.write('first half...')
  },
  '/image': (_request, response) => {
    response.writeHead(200, { 'content-type': 'image/png' })
    response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]))
  },
  '/zip': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/zip' })
    response.end('PK')
  },
  '/missing': (_request, response) => {
    response.writeHead(404, 'Gone Fishing <script>', { 'content-type': 'text/html' })
    response.end('not here')
  },
  '/error': (_request, response) => {
    response.writeHead(500, { 'content-type': 'text/html' })
    response.end('oops')
  },
}

beforeAll(async () => {
  server = http.createServer((request, response) => {
    seen.push({
      url: request.url ?? '',
      host: request.headers.host,
      userAgent: request.headers['user-agent'],
    })
    const route = routes[request.url ?? '']
    if (route) route(request, response)
    else {
      response.writeHead(404)
      response.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

beforeEach(() => {
  seen = []
})

/** A lookup answering from a fixed table; anything else is NXDOMAIN. */
function fakeLookup(table: Record<string, string[]>) {
  return vi.fn<HostLookup>(async (hostname) => {
    const addresses = table[hostname]
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  })
}

/** Loopback-only options: the test hostnames resolve to 127.0.0.1 and private networks are allowed. */
function local(path: string, extra: Partial<FetchUrlOptions> = {}): FetchUrlOptions {
  return {
    url: `http://nereid.test:${port}${path}`,
    allowPrivateNetworks: true,
    lookup: fakeLookup({ 'nereid.test': ['127.0.0.1'] }),
    ...extra,
  }
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(AppError)
  const appError = error as AppError
  // Clear sentences for users, never a stack trace or a raw Node error.
  expect(appError.message).not.toMatch(/\n\s+at |ECONNREFUSED|TypeError/)
  return appError
}

describe('fetchUrl: SSRF guard', () => {
  it('refuses a literal loopback URL before connecting when private networks are not allowed', async () => {
    const error = await failure(fetchUrl({ url: `http://127.0.0.1:${port}/page` }))
    expect(error.code).toBe('forbidden')
    expect(error.status).toBe(403)
    expect(error.message).toMatch(/127\.0\.0\.1.*loopback/)
    expect(error.message).toMatch(/fetching it is not allowed/)
    expect(seen).toHaveLength(0)
  })

  it.each([
    ['10.0.0.5', 'private', /private network \(10\.0\.0\.5\)/],
    ['192.168.1.20', 'private', /private network/],
    ['172.16.4.4', 'private', /private network/],
    ['169.254.169.254', 'linkLocal', /link-local/],
    ['::1', 'loopback', /loopback/],
    ['::ffff:127.0.0.1', 'loopback', /loopback/],
    ['::ffff:10.0.0.1', 'private', /private network/],
    ['100.64.0.1', 'carrierGradeNat', /carrier-grade NAT/],
    ['0.0.0.0', 'unspecified', /unspecified/],
    ['224.0.0.251', 'multicast', /multicast/],
    ['fd12:3456::1', 'uniqueLocal', /unique-local/],
    ['fe80::1', 'linkLocal', /link-local/],
    ['::7f00:1', 'ipv4Compatible', /IPv4-compatible/],
    ['64:ff9b::a00:5', 'rfc6052', /NAT64/],
    ['240.0.0.1', 'reserved', /reserved/],
  ])('refuses a hostname resolving to %s (%s) before any connection', async (address, range, pattern) => {
    const lookup = fakeLookup({ 'evil.test': [address] })
    const error = await failure(fetchUrl({ url: `http://evil.test:${port}/page`, lookup }))
    expect(error.code).toBe('forbidden')
    expect(error.message).toMatch(/^The address resolves to /)
    expect(error.message).toMatch(pattern)
    expect(error.details).toMatchObject({ host: 'evil.test', address, range })
    expect(lookup).toHaveBeenCalledTimes(1)
    expect(seen).toHaveLength(0)
  })

  it('refuses when ANY resolved address is private, even if another is public', async () => {
    const lookup = fakeLookup({ 'mixed.test': ['93.184.216.34', '10.0.0.5'] })
    const error = await failure(fetchUrl({ url: `http://mixed.test:${port}/page`, lookup }))
    expect(error.code).toBe('forbidden')
    expect(error.message).toContain('10.0.0.5')
    expect(seen).toHaveLength(0)
  })

  it.each([
    `http://[::1]:PORT/page`,
    `http://[::ffff:127.0.0.1]:PORT/page`,
    `http://2130706433:PORT/page`,
    `http://0x7f.0.0.1:PORT/page`,
    `http://localhost.:PORT/page`,
  ])('refuses the disguised loopback URL %s', async (template) => {
    const url = template.replace('PORT', String(port))
    const lookup = fakeLookup({ localhost: ['127.0.0.1', '::1'] })
    const error = await failure(fetchUrl({ url, lookup }))
    expect(error.code).toBe('forbidden')
    expect(error.message).toMatch(/loopback/)
    expect(seen).toHaveLength(0)
  })

  it('resolves each hop exactly once and connects to the validated address (no second DNS answer)', async () => {
    // "nereid.test" exists in no real DNS: the request can only reach the loopback server if
    // the socket uses the address our lookup returned during validation.
    const lookup = fakeLookup({ 'nereid.test': ['127.0.0.1'] })
    const result = await fetchUrl(local('/redirect/1', { lookup }))
    expect(result.finalUrl).toBe(`http://nereid.test:${port}/page`)
    expect(lookup).toHaveBeenCalledTimes(3)
    expect(lookup.mock.calls.map(([hostname]) => hostname)).toEqual([
      'nereid.test',
      'nereid.test',
      'nereid.test',
    ])
    expect(seen.map((request) => request.url)).toEqual(['/redirect/1', '/redirect/2', '/page'])
    // The Host header keeps the original name, not the address.
    expect(seen.every((request) => request.host === `nereid.test:${port}`)).toBe(true)
  })

  it('re-validates every redirect hop: a trusted host redirecting to a private address is refused', async () => {
    const lookup = fakeLookup({ 'trusted.test': ['127.0.0.1'], 'internal.test': ['10.0.0.5'] })
    const error = await failure(
      fetchUrl({ url: `http://trusted.test:${port}/to-private`, allowedHosts: ['TRUSTED.test'], lookup }),
    )
    expect(error.code).toBe('forbidden')
    expect(error.message).toContain('10.0.0.5')
    expect(seen.map((request) => request.url)).toEqual(['/to-private'])
    expect(lookup.mock.calls.map(([hostname]) => hostname)).toEqual(['trusted.test', 'internal.test'])
  })

  it('re-validates redirects to literal addresses too', async () => {
    const lookup = fakeLookup({ 'trusted.test': ['127.0.0.1'] })
    const error = await failure(
      fetchUrl({
        url: `http://trusted.test:${port}/to-loopback-literal`,
        allowedHosts: ['trusted.test'],
        lookup,
      }),
    )
    expect(error.code).toBe('forbidden')
    expect(error.message).toMatch(/loopback/)
    expect(seen.map((request) => request.url)).toEqual(['/to-loopback-literal'])
  })
})

describe('fetchUrl: URL rules', () => {
  it.each([
    ['ftp://files.example.com/report.pdf', /Only http and https URLs can be fetched, not ftp:/],
    ['file:///etc/passwd', /not file:/],
    ['javascript:alert(1)', /not javascript:/],
    ['gopher://example.com/', /not gopher:/],
  ])('refuses %s', async (url, pattern) => {
    const error = await failure(fetchUrl({ url, lookup: fakeLookup({}) }))
    expect(error.code).toBe('bad_request')
    expect(error.message).toMatch(pattern)
  })

  it('refuses URLs with credentials', async () => {
    const lookup = fakeLookup({ 'nereid.test': ['127.0.0.1'] })
    const error = await failure(
      fetchUrl({ url: `http://admin:secret@nereid.test:${port}/page`, allowPrivateNetworks: true, lookup }),
    )
    expect(error.code).toBe('bad_request')
    expect(error.message).toBe('URLs with a user name or password are not allowed.')
    expect(error.message).not.toContain('secret')
    expect(lookup).not.toHaveBeenCalled()
    expect(seen).toHaveLength(0)
  })

  it('refuses something that is not a URL', async () => {
    const error = await failure(fetchUrl({ url: 'not a url at all' }))
    expect(error.code).toBe('bad_request')
    expect(error.message).toBe('That is not a valid URL.')
  })

  it('refuses a redirect to another scheme', async () => {
    const error = await failure(fetchUrl(local('/to-ftp')))
    expect(error.code).toBe('bad_request')
    expect(error.message).toMatch(/redirected to a ftp: address/)
  })

  it('stops after too many redirects', async () => {
    const error = await failure(fetchUrl(local('/loop', { maxRedirects: 3 })))
    expect(error.code).toBe('bad_request')
    expect(error.message).toBe('The URL redirected more than 3 times; giving up.')
    expect(seen).toHaveLength(4)
  })

  it('reports a host that does not exist', async () => {
    const error = await failure(fetchUrl({ url: 'http://nowhere.test/', lookup: fakeLookup({}) }))
    expect(error.code).toBe('bad_request')
    expect(error.message).toBe('The host nowhere.test could not be found.')
  })

  it('reports a refused connection clearly', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const error = await failure(
      fetchUrl({ url: `http://127.0.0.1:${closedPort}/`, allowPrivateNetworks: true }),
    )
    expect(error.code).toBe('unavailable')
    expect(error.message).toBe('Could not connect to 127.0.0.1: the connection was refused.')
  })
})

describe('fetchUrl: fetching', () => {
  it('fetches an HTML page with its type, charset and file name', async () => {
    const result = await fetchUrl(local('/page'))
    expect(Buffer.from(result.bytes).toString('utf8')).toContain('<h1>Quarterly report</h1>')
    expect(result.mimeType).toBe('text/html')
    expect(result.charset).toBe('utf-8')
    expect(result.fileName).toBe('report.html')
    expect(result.finalUrl).toBe(`http://nereid.test:${port}/page`)
    expect(seen[0]?.userAgent).toMatch(/^NereidBot\//)
  })

  it('takes the file name from the URL path when there is no Content-Disposition', async () => {
    const result = await fetchUrl(local('/files/notes%20v2.txt'))
    expect(result.fileName).toBe('notes v2.txt')
    expect(result.mimeType).toBe('text/plain')
    expect(result.charset).toBeUndefined()
  })

  it('prefers the RFC 5987 filename* and accepts application/octet-stream', async () => {
    const result = await fetchUrl(local('/octet'))
    expect(result.mimeType).toBe('application/octet-stream')
    expect(result.fileName).toBe('Prüfbericht 2026.pdf')
  })

  it('accepts a response without a Content-Type (content sniffing decides later)', async () => {
    const result = await fetchUrl(local('/no-type'))
    expect(result.mimeType).toBeUndefined()
    expect(result.fileName).toBe('no-type')
  })

  it('follows a redirect chain', async () => {
    const result = await fetchUrl(local('/redirect/1'))
    expect(result.finalUrl).toBe(`http://nereid.test:${port}/page`)
    expect(result.fileName).toBe('report.html')
  })

  it('decompresses gzip bodies', async () => {
    const result = await fetchUrl(local('/gzip'))
    expect(Buffer.from(result.bytes).toString('utf8')).toBe('<p>compressed page</p>')
  })

  it('reports a body that claims gzip but is not', async () => {
    const error = await failure(fetchUrl(local('/bad-gzip')))
    expect(error.code).toBe('bad_request')
    expect(error.message).toBe('The URL sent a gzip body that could not be decompressed.')
  })

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    const error = await failure(fetchUrl(local('/big-declared', { maxBytes: 1000 })))
    expect(error.code).toBe('payload_too_large')
    expect(error.status).toBe(413)
    expect(error.message).toBe('The page is larger than 1000 bytes.')
  })

  it('refuses a 30 MB announcement against the default 25 MB limit without waiting for the body', async () => {
    const started = Date.now()
    const error = await failure(fetchUrl(local('/huge-declared')))
    expect(error.code).toBe('payload_too_large')
    expect(error.message).toBe('The page is larger than 25 MB.')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('aborts a body without Content-Length once it passes the limit', async () => {
    const error = await failure(fetchUrl(local('/big-chunked', { maxBytes: 1000 })))
    expect(error.code).toBe('payload_too_large')
    expect(error.message).toBe('The page is larger than 1000 bytes.')
  })

  it('counts decompressed bytes, so a gzip bomb is stopped', async () => {
    const error = await failure(fetchUrl(local('/gzip-bomb', { maxBytes: 64 * 1024 })))
    expect(error.code).toBe('payload_too_large')
    expect(error.message).toBe('The page is larger than 64 KB.')
  })

  it('times out a server that never answers, with a clear message', async () => {
    const started = Date.now()
    const error = await failure(fetchUrl(local('/slow', { timeoutMs: 300 })))
    expect(error.code).toBe('unavailable')
    expect(error.message).toBe('The URL did not respond within 300 ms.')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('times out a body that stalls halfway', async () => {
    const error = await failure(fetchUrl(local('/slow-body', { timeoutMs: 400 })))
    expect(error.code).toBe('unavailable')
    expect(error.message).toBe('The page did not finish downloading within 400 ms.')
  })

  it('stops when the caller cancels', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const error = await failure(fetchUrl(local('/slow', { signal: controller.signal })))
    expect(error.code).toBe('unavailable')
    expect(error.message).toBe('Fetching the URL was cancelled.')
  })

  it.each([
    ['/image', 'image/png'],
    ['/zip', 'application/zip'],
  ])('refuses %s with 415 naming the type', async (path, mimeType) => {
    const error = await failure(fetchUrl(local(path)))
    expect(error.code).toBe('unsupported_media_type')
    expect(error.status).toBe(415)
    expect(error.message).toBe(`The URL returned ${mimeType}, which is not a supported document type.`)
    expect(error.details).toEqual({ mimeType })
  })

  it('turns a 404 into a clear error with the status (and our own reason phrase)', async () => {
    const error = await failure(fetchUrl(local('/missing')))
    expect(error.code).toBe('bad_request')
    expect(error.message).toBe('The URL answered 404 Not Found.')
    expect(error.details).toEqual({ status: 404 })
  })

  it('turns a 500 into a clear error', async () => {
    const error = await failure(fetchUrl(local('/error')))
    expect(error.message).toBe('The URL answered 500 Internal Server Error.')
  })
})

describe('classifyAddress and describeSize', () => {
  it('allows public unicast addresses only', () => {
    expect(classifyAddress('93.184.216.34').allowed).toBe(true)
    expect(classifyAddress('2606:2800:220:1:248:1893:25c8:1946').allowed).toBe(true)
    expect(classifyAddress('127.0.0.1')).toMatchObject({ allowed: false, range: 'loopback' })
    expect(classifyAddress('2001:db8::1')).toMatchObject({ allowed: false, range: 'reserved' })
    expect(classifyAddress('2002:7f00:1::')).toMatchObject({ allowed: false, range: '6to4' })
    expect(classifyAddress('not-an-ip')).toMatchObject({ allowed: false, range: 'invalid' })
  })

  it('formats limits the way users read them', () => {
    expect(describeSize(25 * 1024 * 1024)).toBe('25 MB')
    expect(describeSize(1.5 * 1024 * 1024)).toBe('1.5 MB')
    expect(describeSize(512 * 1024)).toBe('512 KB')
    expect(describeSize(1000)).toBe('1000 bytes')
  })
})
