import { z } from 'zod'

/** Shared input pieces, so every tool describes ids, dates and money the same way to the model. */

export const recordId = (what: string) =>
  z.uuid({ message: `expected the ${what} id (a uuid)` }).describe(`The ${what} id.`)

/** An id or a name to look up; ambiguous names come back as candidates instead of a guess. */
export const recordReference = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `name the ${what}`)
    .max(200)
    .describe(
      `The ${what}: its id, or its name to look up (an ambiguous name returns candidates to choose from).`,
    )

export const isoDateTime = (description: string) =>
  z.iso
    .datetime({ offset: true, message: 'expected an ISO 8601 date-time, e.g. 2026-03-05T17:00:00Z' })
    .describe(description)

export const isoDate = (description: string) =>
  z.iso.date({ message: 'expected a date as YYYY-MM-DD' }).describe(description)

export const moneyCents = z
  .number()
  .int('expected whole cents')
  .min(0, 'must not be negative')
  .max(1e13, 'too large')
  .describe('An amount in cents (12000 USD = 1200000).')

export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'expected a 3-letter ISO currency code like USD')
  .describe('ISO 4217 currency code, e.g. USD or EUR.')

export const pageLimit = z
  .number()
  .int()
  .min(1)
  .max(100)
  .default(20)
  .describe('How many results to return (1-100).')
