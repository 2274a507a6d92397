/**
 * The widget's stylesheet, scoped by its Shadow DOM. Host CSS cannot select inside, but inherited
 * properties (color, font) flow in through the host element and `rem` follows the host's root font
 * size, so the root resets everything explicitly and sizes are in px. Theming is CSS variables:
 * `--nereid-primary` (and its text color) from the options, light and dark palettes.
 */
export const widgetCss = `
:host { all: initial !important; display: contents !important; }
.root {
  all: initial;
  --nereid-primary: #4f46e5;
  --nereid-on-primary: #ffffff;
  --bg: #ffffff; --fg: #1f2430; --muted: #5f6675; --border: #dfe2e8; --surface: #f4f5f8;
  --user-bg: var(--nereid-primary); --user-fg: var(--nereid-on-primary);
  --danger: #b42318; --ok: #067647; --warn: #9a6700; --shadow: 0 12px 40px rgba(15, 20, 30, .22);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; line-height: 1.45; color: var(--fg); font-weight: 400; letter-spacing: normal;
  text-align: left; direction: ltr;
}
.root[data-theme="dark"] {
  --bg: #16181d; --fg: #e8eaef; --muted: #a3a9b6; --border: #2e323b; --surface: #22252c;
  --danger: #ff8a80; --ok: #6ee7a8; --warn: #f5c451; --shadow: 0 12px 40px rgba(0, 0, 0, .6);
}
@media (prefers-color-scheme: dark) {
  .root[data-theme="auto"] {
    --bg: #16181d; --fg: #e8eaef; --muted: #a3a9b6; --border: #2e323b; --surface: #22252c;
    --danger: #ff8a80; --ok: #6ee7a8; --warn: #f5c451; --shadow: 0 12px 40px rgba(0, 0, 0, .6);
  }
}
.root *, .root *::before, .root *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
button, textarea, input { font: inherit; color: inherit; letter-spacing: inherit; margin: 0; }
button { cursor: pointer; }
button:focus-visible, textarea:focus-visible, a:focus-visible, [tabindex]:focus-visible {
  outline: 2px solid var(--nereid-primary); outline-offset: 2px;
}
svg { width: 20px; height: 20px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; display: block; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.launcher {
  position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
  width: 56px; height: 56px; border-radius: 50%; border: 0; padding: 0;
  display: flex; align-items: center; justify-content: center;
  background: var(--nereid-primary); color: var(--nereid-on-primary); box-shadow: var(--shadow);
}
.launcher svg { width: 26px; height: 26px; }
.root[data-position="bottom-left"] .launcher { right: auto; left: 20px; }
.launcher .badge { position: absolute; top: -2px; right: -2px; }

.panel {
  position: fixed; bottom: 88px; right: 20px; z-index: 2147483001;
  width: 400px; max-width: calc(100vw - 24px); height: 620px; max-height: calc(100vh - 108px);
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--bg); color: var(--fg); border: 1px solid var(--border); border-radius: 16px;
  box-shadow: var(--shadow);
}
.root[data-position="bottom-left"] .panel { right: auto; left: 20px; }
@media (max-width: 480px) {
  .panel { inset: 0; width: 100vw; max-width: 100vw; height: 100%; max-height: 100%; border-radius: 0; border: 0; }
  .root[data-position="bottom-left"] .panel { left: 0; }
  .root[data-open="true"] .launcher { display: none; }
}

.header {
  display: flex; align-items: center; gap: 4px; padding: 10px 10px 10px 14px;
  background: var(--nereid-primary); color: var(--nereid-on-primary); flex: none;
}
.header h2 { all: unset; flex: 1; min-width: 0; font-size: 16px; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.icon-button {
  position: relative; width: 36px; height: 36px; border: 0; border-radius: 8px; padding: 0;
  display: inline-flex; align-items: center; justify-content: center; background: transparent; color: inherit; flex: none;
}
.icon-button:hover { background: rgba(255, 255, 255, .16); }
.header .icon-button:focus-visible { outline-color: var(--nereid-on-primary); }
.badge {
  position: absolute; top: 2px; right: 0; min-width: 18px; height: 18px; padding: 0 5px; border-radius: 9px;
  background: var(--danger); color: #fff; font-size: 11px; font-weight: 700; line-height: 18px; text-align: center;
}
.status-line { padding: 6px 14px; font-size: 12px; background: var(--surface); color: var(--muted); border-bottom: 1px solid var(--border); flex: none; }
.status-line[data-kind="error"] { color: var(--danger); }

.view { flex: 1; min-height: 0; display: flex; flex-direction: column; position: relative; }
.log { flex: 1; min-height: 0; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 12px; overscroll-behavior: contain; }
.message { display: flex; flex-direction: column; gap: 6px; max-width: 92%; }
.message[data-role="user"] { align-self: flex-end; align-items: flex-end; }
.message[data-role="assistant"] { align-self: flex-start; }
.bubble { padding: 9px 12px; border-radius: 14px; overflow-wrap: anywhere; }
.message[data-role="user"] .bubble { background: var(--user-bg); color: var(--user-fg); border-bottom-right-radius: 4px; white-space: pre-wrap; }
.message[data-role="assistant"] .bubble { background: var(--surface); border-bottom-left-radius: 4px; }
.message[data-status="sending"] .bubble { opacity: .75; }
.greeting .bubble { background: var(--surface); }
.md > :first-child { margin-top: 0; } .md > :last-child { margin-bottom: 0; }
.md p, .md ul, .md ol, .md pre, .md blockquote, .md table { margin: 0 0 8px; }
.md ul, .md ol { padding-left: 20px; }
.md h1, .md h2, .md h3, .md h4, .md h5, .md h6 { font-size: 15px; margin: 8px 0 4px; }
.md a { color: var(--nereid-primary); text-decoration: underline; }
.md a:not([href]) { color: inherit; text-decoration: none; }
.root[data-theme="dark"] .md a { color: inherit; }
.md code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; background: rgba(127, 127, 127, .15); padding: 1px 4px; border-radius: 4px; }
.md pre { overflow-x: auto; background: rgba(127, 127, 127, .12); padding: 8px; border-radius: 8px; }
.md pre code { background: none; padding: 0; }
.md blockquote { border-left: 3px solid var(--border); padding-left: 10px; color: var(--muted); }
.md table { border-collapse: collapse; display: block; overflow-x: auto; }
.md th, .md td { border: 1px solid var(--border); padding: 3px 6px; }
.cite {
  display: inline-flex; align-items: center; justify-content: center; min-width: 20px; height: 18px; padding: 0 5px;
  margin: 0 1px; vertical-align: 1px; border: 0; border-radius: 9px; font-size: 11px; font-weight: 700; line-height: 1;
  background: var(--nereid-primary); color: var(--nereid-on-primary);
}
.sources-toggle { border: 0; background: none; padding: 0; color: var(--muted); font-size: 12px; text-decoration: underline; align-self: flex-start; }
.sources { list-style: none; margin: 0; padding: 8px 10px; border: 1px solid var(--border); border-radius: 10px; display: flex; flex-direction: column; gap: 8px; font-size: 13px; }
.sources li { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; border-radius: 6px; padding: 2px; }
.sources li[data-active="true"] { background: var(--surface); }
.sources .number { grid-row: span 3; font-weight: 700; color: var(--nereid-primary); }
.root[data-theme="dark"] .sources .number { color: inherit; }
.sources .title { font-weight: 600; overflow-wrap: anywhere; }
.sources .meta, .sources .snippet { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.tool-line { font-size: 12px; color: var(--muted); }
.error-text { color: var(--danger); font-size: 13px; }
.typing { display: inline-flex; gap: 4px; padding: 4px 0; }
.typing span { width: 6px; height: 6px; border-radius: 50%; background: var(--muted); animation: blink 1.2s infinite; }
.typing span:nth-child(2) { animation-delay: .2s; } .typing span:nth-child(3) { animation-delay: .4s; }
@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .typing span { animation: none; } }

.card { border: 1px solid var(--border); border-left: 4px solid var(--warn); border-radius: 10px; padding: 10px 12px; background: var(--bg); display: flex; flex-direction: column; gap: 6px; margin: 6px 0; }
.card[data-status="executed"] { border-left-color: var(--ok); }
.card[data-status="rejected"], .card[data-status="failed"], .card[data-status="expired"], .card[data-status="cancelled"], .card[data-status="undone"] { border-left-color: var(--muted); }
.card-kind { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 700; }
.card-summary { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.card-status { margin: 0; font-size: 13px; color: var(--muted); }
.card[data-status="executed"] .card-status { color: var(--ok); }
.card[data-status="failed"] .card-status { color: var(--danger); }
.card-result summary { cursor: pointer; font-size: 12px; color: var(--muted); }
.card-result pre { margin: 4px 0 0; max-height: 160px; overflow: auto; font-size: 11.5px; background: var(--surface); padding: 6px; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.card-actions { display: flex; gap: 8px; flex-wrap: wrap; }
.card-error { margin: 0; color: var(--danger); font-size: 13px; }
.button { border: 1px solid var(--border); border-radius: 8px; padding: 6px 14px; background: var(--bg); font-weight: 600; min-height: 34px; }
.button.primary { background: var(--nereid-primary); color: var(--nereid-on-primary); border-color: transparent; }
.button:disabled { opacity: .55; cursor: default; }

.uploads { display: flex; flex-direction: column; gap: 4px; padding: 0 12px; flex: none; }
.upload { display: grid; grid-template-columns: 1fr auto; gap: 2px 8px; font-size: 12px; padding: 6px 8px; border: 1px solid var(--border); border-radius: 8px; }
.upload .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
.upload[data-state="failed"] .state { color: var(--danger); }
.upload[data-state="ready"] .state { color: var(--ok); }
.upload progress { grid-column: 1 / -1; width: 100%; height: 4px; accent-color: var(--nereid-primary); }
.composer { display: flex; align-items: flex-end; gap: 6px; padding: 10px 12px 12px; border-top: 1px solid var(--border); flex: none; }
.composer textarea {
  flex: 1; min-width: 0; resize: none; border: 1px solid var(--border); border-radius: 12px; padding: 9px 12px;
  background: var(--bg); max-height: 140px; min-height: 40px; line-height: 20px; outline: none;
}
.composer textarea:focus { border-color: var(--nereid-primary); }
.composer .icon-button { width: 40px; height: 40px; color: var(--muted); }
.composer .icon-button:hover { background: var(--surface); }
.composer .send { background: var(--nereid-primary); color: var(--nereid-on-primary); }
.composer .send:hover { background: var(--nereid-primary); filter: brightness(1.08); }
.composer .send:disabled { opacity: .5; }
.drop { position: absolute; inset: 8px; border: 2px dashed var(--nereid-primary); border-radius: 12px; display: flex; align-items: center; justify-content: center; text-align: center; padding: 20px; background: var(--bg); opacity: .95; font-weight: 600; z-index: 2; }

.list { flex: 1; min-height: 0; overflow-y: auto; margin: 0; padding: 8px; list-style: none; display: flex; flex-direction: column; gap: 4px; }
.list-title { display: flex; align-items: center; gap: 6px; padding: 8px 10px 0; font-weight: 600; }
.list-item { width: 100%; text-align: left; border: 0; border-radius: 8px; padding: 10px; background: none; display: flex; flex-direction: column; gap: 2px; overflow-wrap: anywhere; }
.list-item:hover, .list-item[aria-current="true"] { background: var(--surface); }
.list-item .secondary { font-size: 12px; color: var(--muted); }
.notification { padding: 10px; border-radius: 8px; border: 1px solid var(--border); display: flex; flex-direction: column; gap: 2px; }
.notification[data-unread="true"] { border-left: 4px solid var(--nereid-primary); }
.empty { color: var(--muted); padding: 16px; text-align: center; }
`
