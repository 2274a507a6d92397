import { EventEmitter } from 'node:events'

/** Something that happened in a workspace that open sessions on any channel may want to show. */
export interface NereidEvent {
  type: string
  workspaceId: string
  [field: string]: unknown
}

export type EventListener = (event: NereidEvent) => void

/**
 * Publish/subscribe between the parts of Nereid (and, with the Postgres implementation, between
 * processes). Publish after the transaction that made the change has committed.
 */
export interface EventBus {
  publish(event: NereidEvent): Promise<void>
  subscribe(listener: EventListener): () => void
  close(): Promise<void>
}

/** The in-process bus: enough for one process (the embedded-database default). */
export function createInProcessEventBus(): EventBus {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  return {
    async publish(event) {
      emitter.emit('event', event)
    },
    subscribe(listener) {
      const safeListener = (event: NereidEvent) => {
        try {
          listener(event)
        } catch {
          // A failing subscriber must not break the publisher or the other subscribers.
        }
      }
      emitter.on('event', safeListener)
      return () => emitter.off('event', safeListener)
    },
    async close() {
      emitter.removeAllListeners()
    },
  }
}
