import type { z } from 'zod'
import { AppError } from '../../core/index.ts'

/**
 * Parses request input with a zod schema; on failure one 400 whose message names every bad field
 * (and every unknown one) in words a developer can act on.
 */
export function validateInput<Schema extends z.ZodType>({
  schema,
  input,
  what,
}: {
  schema: Schema
  input: unknown
  /** "query parameter" or "field", used in the message. */
  what: string
}): z.output<Schema> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown ${what}${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`
    }
    const path = issue.path.join('.')
    return path ? `${what} "${path}": ${issue.message}` : issue.message
  })
  throw new AppError('validation_failed', {
    message: `Invalid request: ${problems.join('; ')}.`,
    details: {
      issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    },
  })
}
