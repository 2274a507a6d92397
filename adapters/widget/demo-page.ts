/**
 * The demo host page (served at `/` when the demo workspace exists): a fake business app that
 * embeds the widget with one script tag, as a customer would. Its stylesheet is deliberately
 * hostile (a universal `!important` color and font size, hidden buttons, a rem-based root size),
 * the kind of global CSS that breaks naive widgets; the widget's Shadow DOM has to stand up to it.
 */
export interface DemoPageOptions {
  /** Where the page gets widget tokens (the host backend's endpoint). */
  tokenUrl?: string
  /** The widget script's URL. */
  scriptSource?: string
  /** The workspace name shown in the fake app. */
  workspaceName?: string
  /** Extra `data-*` options for the script tag, e.g. `{ theme: 'dark', position: 'bottom-left' }`. */
  widgetOptions?: Partial<Record<'title' | 'greeting' | 'primaryColor' | 'position' | 'theme', string>>
}

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => escapes[character]!)
const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)

/** The demo page's HTML. */
export function demoPageHtml({
  tokenUrl = '/demo/widget-token',
  scriptSource = '/widget.js',
  workspaceName = 'Acme Corp',
  widgetOptions = {},
}: DemoPageOptions = {}): string {
  const dataAttributes = Object.entries(widgetOptions)
    .filter(([, value]) => typeof value === 'string' && value.length > 0)
    .map(([name, value]) => ` data-${kebab(name)}="${escapeHtml(value as string)}"`)
    .join('')
  const workspace = escapeHtml(workspaceName)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${workspace} · Pipeline (Nereid demo)</title>
<style>
  /* Hostile host CSS, on purpose: none of this may reach the widget. */
  html { font-size: 22px; }
  * { color: #c0392b !important; font-size: 30px; font-family: "Comic Sans MS", cursive !important; box-sizing: content-box; line-height: 3; }
  button { display: none; }
  div { border: 1px dotted #999; padding: 4px; }
  svg { width: 200px !important; height: 200px !important; }
  textarea, input { background: #ff0 !important; }
  p { margin: 40px 0; text-transform: uppercase; }
  ol, ul { list-style: square inside; }

  body { margin: 0; background: #f6f7fb; }
  header.app { background: #1e293b; padding: 12px 24px; }
  header.app span { color: #fff !important; font-size: 18px; }
  main { padding: 16px 24px; max-width: 960px; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  td, th { border: 1px solid #ddd; padding: 6px 10px; font-size: 16px; text-align: left; }
  .note { font-size: 14px; line-height: 1.4; }
</style>
</head>
<body>
<header class="app"><span>${workspace} CRM</span> <span>· Pipeline · Tasks · Campaigns</span></header>
<main>
  <h1>Pipeline</h1>
  <p class="note">This page stands in for your own web app. The chat button in the corner is Nereid, added with
  one script tag; its token comes from this app's backend (<code>${escapeHtml(tokenUrl)}</code>).</p>
  <table>
    <thead><tr><th>Deal</th><th>Stage</th><th>Amount</th><th>Owner</th></tr></thead>
    <tbody>
      <tr><td>Globex renewal</td><td>Negotiation</td><td>$48,000</td><td>Ada</td></tr>
      <tr><td>Initech expansion</td><td>Proposal</td><td>$12,500</td><td>Grace</td></tr>
      <tr><td>Umbrella pilot</td><td>Qualified</td><td>$7,200</td><td>Linus</td></tr>
    </tbody>
  </table>
  <div class="host-widgets"><button type="button">Host button (hidden by the host's own CSS)</button></div>
</main>
<script src="${escapeHtml(scriptSource)}" data-token-url="${escapeHtml(tokenUrl)}"${dataAttributes} defer></script>
</body>
</html>
`
}
