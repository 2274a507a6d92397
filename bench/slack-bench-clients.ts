/**
 * The Slack side of the Slack bench (bench/slack-bench.ts), run in a child process so that signing
 * and sending the requests does not share the server's event loop. Commands arrive over IPC:
 *
 *   - `events` { url, signingSecret, bodies }  POST every body to /slack/events at once, each
 *              signed the way Slack signs it; replies with each acknowledgement's latency and status
 *   - `health` { url, count }  `count` concurrent GET /healthz (the floor)
 *   - `close`
 */
import { signSlackRequest } from '../adapters/slack/index.ts'

type Command =
  | { command: 'events'; url: string; signingSecret: string; bodies: string[] }
  | { command: 'health'; url: string; count: number }
  | { command: 'close' }

const reply = (message: Record<string, unknown>) => process.send?.(message)

async function timed(request: () => Promise<Response>): Promise<{ milliseconds: number; status: number }> {
  const started = performance.now()
  try {
    const response = await request()
    const milliseconds = performance.now() - started
    await response.arrayBuffer()
    return { milliseconds, status: response.status }
  } catch {
    return { milliseconds: performance.now() - started, status: 0 }
  }
}

process.on('message', async (message: Command) => {
  if (message.command === 'events') {
    const timestamp = Math.floor(Date.now() / 1000)
    const signed = message.bodies.map((rawBody) => ({
      rawBody,
      headers: {
        'content-type': 'application/json',
        ...signSlackRequest({ signingSecret: message.signingSecret, rawBody, timestamp }),
      },
    }))
    const results = await Promise.all(
      signed.map(({ rawBody, headers }) =>
        timed(() => fetch(`${message.url}/slack/events`, { method: 'POST', headers, body: rawBody })),
      ),
    )
    reply({ done: 'events', results })
  } else if (message.command === 'health') {
    const results = await Promise.all(
      Array.from({ length: message.count }, () => timed(() => fetch(`${message.url}/healthz`))),
    )
    reply({ done: 'health', results })
  } else if (message.command === 'close') {
    process.exit(0)
  }
})
reply({ done: 'ready' })
