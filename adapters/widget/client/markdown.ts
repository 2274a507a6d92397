import DOMPurify from 'dompurify'
import { Marked, type Tokens } from 'marked'

/**
 * Model output as Markdown, rendered safely. Text from the model may quote documents, web pages or
 * CRM records, so it is hostile input:
 *   - raw HTML in the Markdown is shown as text (`<script>` appears literally, nothing runs);
 *   - images become links (an image URL would load on its own and could carry data out);
 *   - the HTML marked produces is then sanitized by DOMPurify against a short allow-list, links are
 *     limited to http(s) and mailto and open in a new tab without an opener.
 */
const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => escapes[character]!)

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html: ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text),
    image: ({ href, text }: Tokens.Image) => `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
  },
})

const allowedTags = [
  'a',
  'b',
  'blockquote',
  'br',
  'code',
  'del',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'strong',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
]

let purifier: ReturnType<typeof DOMPurify> | undefined

function getPurifier() {
  if (purifier) return purifier
  purifier = DOMPurify(window)
  purifier.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank')
      node.setAttribute('rel', 'noopener noreferrer nofollow')
    }
  })
  return purifier
}

/** Markdown -> sanitized DOM fragment (never assigned through innerHTML of a live element). */
export function renderMarkdown(text: string): DocumentFragment {
  const html = marked.parse(text, { async: false })
  return getPurifier().sanitize(html, {
    ALLOWED_TAGS: allowedTags,
    ALLOWED_ATTR: ['href', 'title', 'start', 'align'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    RETURN_DOM_FRAGMENT: true,
  })
}

const citationPattern = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g

/**
 * Replaces `[n]` (and `[1, 2]`) in the fragment's text with citation chips made by `chip`, for the
 * numbers `known` accepts; code, preformatted text and link text are left alone.
 */
export function linkCitations(
  fragment: DocumentFragment,
  known: (index: number) => boolean,
  chip: (index: number) => HTMLElement,
): void {
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_TEXT)
  const textNodes: Text[] = []
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement?.closest('code, pre, a')) continue
    citationPattern.lastIndex = 0
    if (citationPattern.test(node.nodeValue ?? '')) textNodes.push(node as Text)
  }
  for (const node of textNodes) {
    const text = node.nodeValue ?? ''
    const replacement = document.createDocumentFragment()
    let last = 0
    citationPattern.lastIndex = 0
    for (let match = citationPattern.exec(text); match; match = citationPattern.exec(text)) {
      const numbers = match[1]!.split(',').map((value) => Number(value.trim()))
      if (!numbers.every(known)) continue
      replacement.append(text.slice(last, match.index))
      for (const index of numbers) replacement.append(chip(index))
      last = match.index + match[0].length
    }
    if (last === 0) continue
    replacement.append(text.slice(last))
    node.replaceWith(replacement)
  }
}
