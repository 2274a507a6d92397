/**
 * Slack truncates long messages (it recommends at most 4,000 characters of `text`) and a section
 * block holds at most 3,000, so answers are cut into pieces of at most this many characters; a
 * piece then always fits one section block, fence repair included.
 */
export const slackMessageLimit = 3_000

/**
 * Splits text (Slack mrkdwn or Markdown) into pieces of at most `limit` characters, cutting where a
 * reader would: at a paragraph break, else a line break, else a space outside a `<link|label>`;
 * only a single unbroken run longer than the limit is cut mid-word. A cut inside a code block
 * closes the block and reopens it in the next piece.
 */
export function splitMessage(text: string, limit = slackMessageLimit): string[] {
  const fenceRepair = 4 // "\n```"
  const pieces: string[] = []
  let rest = text
  while (rest.length > limit) {
    const room = limit - fenceRepair
    const cut = findCut(rest, room)
    let head = rest.slice(0, cut).trimEnd()
    let tail = rest
      .slice(cut)
      .replace(/^[ \t]*\n+/, '')
      .replace(/^[ \t]+(?=\S)/, '')
    if (insideFence(head)) {
      head = `${head}\n\`\`\``
      tail = `\`\`\`\n${tail}`
    }
    if (head.trim() !== '' && head.trim() !== '```\n```') pieces.push(head)
    rest = tail
  }
  if (rest.trim() !== '') pieces.push(rest)
  return pieces.length > 0 ? pieces : ['']
}

/** True when `text` ends inside an open code fence. */
export function insideFence(text: string): boolean {
  return ((text.match(/```/g) ?? []).length & 1) === 1
}

/**
 * Where to cut `text` so the head has at most `room` characters: a paragraph break, else a line
 * break, else a space outside a link; `room` itself when there is none.
 */
export function findCut(text: string, room: number): number {
  const window = text.slice(0, room + 1)
  const floor = Math.floor(room * 0.3)
  const paragraph = window.lastIndexOf('\n\n')
  if (paragraph > floor) return paragraph
  const line = window.lastIndexOf('\n')
  if (line > floor) return line
  for (let position = room; position > floor; position -= 1) {
    if (/\s/.test(window[position] ?? '') && !insideLink(window.slice(0, position))) return position
  }
  return room
}

/** True when `text` ends inside an unclosed `<...>` (a Slack link or mention). */
function insideLink(text: string): boolean {
  return text.lastIndexOf('<') > text.lastIndexOf('>')
}
