/**
 * The client side of the widget bench (bench/widget-bench.ts), run in a child process so the
 * server's memory and event loop are measured alone. Commands arrive over IPC:
 *
 *   - `open`   { url, tokens }    open one socket per token and wait for `ready` on each
 *   - `stream` { count, chatPrefix, text }  the first `count` sockets each send one chat message at
 *              once; every text delta carries the model server's send time, so the delay from the
 *              model to this client is measured per token
 *   - `floor`  { modelUrl, count }  the same streams read straight from the model server
 *   - `close`
 */
import { WebSocket } from 'ws'

type Command =
  | { command: 'open'; url: string; tokens: string[] }
  | { command: 'stream'; count: number; chatPrefix: string; text: string }
  | { command: 'floor'; modelUrl: string; count: number }
  | { command: 'close' }

const sockets: WebSocket[] = []
const now = () => performance.timeOrigin + performance.now()
const reply = (message: Record<string, unknown>) => process.send?.(message)

/** Delay of one delta: its content is "<send time in epoch ms> ". */
const delayOf = (delta: string): number | undefined => {
  const sent = Number.parseFloat(delta)
  return Number.isFinite(sent) ? now() - sent : undefined
}

async function open(url: string, tokens: string[]) {
  let errors = 0
  const batch = 50
  for (let start = 0; start < tokens.length; start += batch) {
    await Promise.all(
      tokens.slice(start, start + batch).map(
        (token) =>
          new Promise<void>((resolve) => {
            const socket = new WebSocket(`${url}/v1/ws?token=${encodeURIComponent(token)}`)
            socket.once('message', () => {
              sockets.push(socket)
              resolve()
            })
            socket.once('error', () => {
              errors += 1
              resolve()
            })
          }),
      ),
    )
  }
  reply({ done: 'open', opened: sockets.length, errors })
}

async function stream(count: number, chatPrefix: string, text: string) {
  const delays: number[] = []
  let errors = 0
  let finished = 0
  const samples: string[] = []
  const started = now()
  await Promise.all(
    sockets.slice(0, count).map(
      (socket, index) =>
        new Promise<void>((resolve) => {
          const chatId = `${chatPrefix}-${index}`
          const timer = setTimeout(() => {
            errors += 1
            socket.off('message', onMessage)
            resolve()
          }, 60_000)
          const onMessage = (data: Buffer) => {
            const message = JSON.parse(data.toString()) as {
              type: string
              chatId?: string
              chunk?: { type: string; delta?: string }
            }
            if (message.type === 'error') {
              errors += 1
              if (samples.length < 5) samples.push(JSON.stringify(message))
            }
            if (message.type !== 'chunk' || message.chatId !== chatId) return
            if (message.chunk?.type === 'text-delta' && message.chunk.delta) {
              const delay = delayOf(message.chunk.delta)
              if (delay !== undefined) delays.push(delay)
            }
            if (message.chunk?.type === 'error') {
              errors += 1
              if (samples.length < 5) samples.push(JSON.stringify(message.chunk))
            }
            if (message.chunk?.type === 'finish') {
              finished += 1
              clearTimeout(timer)
              socket.off('message', onMessage)
              resolve()
            }
          }
          socket.on('message', onMessage)
          socket.send(JSON.stringify({ type: 'chat', chatId, text }))
        }),
    ),
  )
  reply({ done: 'stream', delays, errors, finished, samples, seconds: (now() - started) / 1000 })
}

async function floor(modelUrl: string, count: number) {
  const delays: number[] = []
  let errors = 0
  await Promise.all(
    Array.from({ length: count }, async () => {
      try {
        const response = await fetch(`${modelUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
        })
        const decoder = new TextDecoder()
        let buffer = ''
        for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(bytes, { stream: true })
          let newline = buffer.indexOf('\n\n')
          while (newline !== -1) {
            const event = buffer.slice(0, newline)
            buffer = buffer.slice(newline + 2)
            newline = buffer.indexOf('\n\n')
            if (!event.startsWith('data: ') || event === 'data: [DONE]') continue
            const content = JSON.parse(event.slice(6)).choices?.[0]?.delta?.content as string | undefined
            const delay = content ? delayOf(content) : undefined
            if (delay !== undefined) delays.push(delay)
          }
        }
      } catch {
        errors += 1
      }
    }),
  )
  reply({ done: 'floor', delays, errors })
}

process.on('message', (message: Command) => {
  if (message.command === 'open') void open(message.url, message.tokens)
  if (message.command === 'stream') void stream(message.count, message.chatPrefix, message.text)
  if (message.command === 'floor') void floor(message.modelUrl, message.count)
  if (message.command === 'close') {
    for (const socket of sockets) socket.terminate()
    process.exit(0)
  }
})
reply({ done: 'started' })
