/** Formatting for human summaries (approval cards, history lines). */

/** 1200000 USD cents -> "$12,000"; keeps cents only when there are any. */
export function formatMoney(cents: number, currency: string): string {
  const amount = cents / 100
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: Number.isInteger(amount) ? 0 : 2,
    maximumFractionDigits: 2,
  }).format(amount)
}

/** A date or date-time as "Mar 2, 2026". */
export function formatDay(value: Date | string): string {
  const date =
    typeof value === 'string' ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : value
  return new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(date)
}

/** "proposal" -> "Proposal", "in_progress" -> "In progress". */
export function formatLabel(value: string): string {
  const words = value.replaceAll('_', ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** Quotes a record name for a summary, shortened if very long. */
export function quoteName(name: unknown): string {
  const text = String(name ?? '')
  return `'${text.length > 60 ? `${text.slice(0, 57)}...` : text}'`
}
