import { createOpenAI } from '@ai-sdk/openai'
import type { Config } from '../core/index.ts'
import type { ChatModel } from './chat-service.ts'

/**
 * The chat model from the configuration: OpenAI with `OPENAI_API_KEY`, or any OpenAI-compatible
 * server with `OPENAI_BASE_URL` (through the chat-completions API, which Ollama, vLLM, LM Studio and
 * llama.cpp speak). Undefined when neither is set: the assistant then runs in search mode.
 */
export function createChatModel({
  config,
  fetch,
}: {
  config: Pick<Config, 'openai'>
  /** The network, injectable for tests. */
  fetch?: typeof globalThis.fetch
}): ChatModel | undefined {
  const { apiKey, baseUrl, chatModel } = config.openai
  if (!apiKey && !baseUrl) return undefined
  // A local server usually needs no key; the client still sends one, so send a placeholder.
  const provider = createOpenAI({
    apiKey: apiKey ?? 'not-needed',
    baseURL: baseUrl,
    ...(fetch ? { fetch } : {}),
  })
  return { model: provider.chat(chatModel), modelId: chatModel }
}
