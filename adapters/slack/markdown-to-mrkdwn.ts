/**
 * Converts the Markdown a language model writes into Slack's mrkdwn: `**bold**` -> `*bold*`,
 * `*italic*` -> `_italic_`, `~~strike~~` -> `~strike~`, `[text](url)` -> `<url|text>`, headings
 * as bold lines, bullets as `•`, tables kept aligned inside a code block, code untouched.
 *
 * `&`, `<` and `>` are escaped everywhere, so model output can never produce Slack control
 * sequences: no `<!channel>` pings, no `<@U…>` mentions, no disguised links. Only links the
 * Markdown spelled out with an http(s) or mailto URL become Slack links.
 *
 * Partial text (a stream in progress) is fine: an unclosed code block is closed at the end.
 */
export function markdownToMrkdwn(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n')
  const output: string[] = []
  let fence: string | undefined
  let index = 0
  while (index < lines.length) {
    const line = lines[index]!
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(line)
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1]!.startsWith(fence[0]!) && fenceMatch[1]!.length >= fence.length) {
        output.push('```')
        fence = undefined
      } else output.push(escapeText(line))
      index += 1
      continue
    }
    if (fenceMatch) {
      fence = fenceMatch[1]!
      output.push('```')
      index += 1
      continue
    }
    if (isTableRow(line) && isTableSeparator(lines[index + 1] ?? '')) {
      output.push('```')
      while (index < lines.length && isTableRow(lines[index]!)) {
        output.push(escapeText(lines[index]!.trim()))
        index += 1
      }
      output.push('```')
      continue
    }
    output.push(convertLine(line))
    index += 1
  }
  if (fence !== undefined) output.push('```')
  return output.join('\n')
}

function isTableRow(line: string): boolean {
  return /^\s*\|.*\|\s*$/.test(line)
}

function isTableSeparator(line: string): boolean {
  return /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line)
}

function convertLine(line: string): string {
  const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
  if (heading) {
    const text = convertInline(heading[2]!)
      .replace(/(^|[^\\])\*/g, '$1')
      .trim()
    return text ? `*${text}*` : ''
  }
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return '──────────'
  const quote = /^(\s*)>\s?(.*)$/.exec(line)
  if (quote) return `${quote[1]}> ${convertLine(quote[2]!)}`.trimEnd()
  const task = /^(\s*)[-*+]\s+\[( |x|X)\]\s+(.*)$/.exec(line)
  if (task) return `${task[1]}• ${task[2] === ' ' ? '☐' : '☑'} ${convertInline(task[3]!)}`
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line)
  if (bullet) return `${bullet[1]}• ${convertInline(bullet[2]!)}`
  return convertInline(line)
}

/** Converts inline Markdown outside code spans; code spans keep their text (escaped). */
function convertInline(text: string): string {
  const pieces = text.split(/(`+[^`]*`+)/)
  return pieces
    .map((piece, position) => (position % 2 === 1 ? escapeText(piece) : convertProse(piece)))
    .join('')
}

const bold = '\uE001'

function convertProse(text: string): string {
  const links: string[] = []
  // Links first, so their URLs are not touched by the emphasis rules below.
  let converted = text.replace(
    /!?\[([^\]\n]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
    (match, label: string, url: string) => {
      if (!/^(https?:\/\/|mailto:)/i.test(url)) return match
      links.push(`<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeText(label).replace(/\|/g, '¦')}>`)
      return `\uE000${links.length - 1}\uE000`
    },
  )
  converted = escapeText(converted)
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${bold}$1${bold}`)
    .replace(/(?<![\w\\])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, `${bold}$1${bold}`)
    .replace(/(?<![\w*\\])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])/g, '_$1_')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~')
    .replaceAll(bold, '*')
  return converted.replace(/\uE000(\d+)\uE000/g, (_match, position: string) => links[Number(position)]!)
}

/** Escapes the three characters Slack treats as markup. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
