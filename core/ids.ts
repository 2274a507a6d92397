import { randomUUID } from 'node:crypto'

/** Generates record ids; injected so tests and seeds can be deterministic. */
export type IdGenerator = () => string

export const randomIds: IdGenerator = () => randomUUID()
