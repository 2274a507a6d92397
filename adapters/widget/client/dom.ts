/** Tiny DOM helpers for the widget: elements built in code, text always set as text (never HTML). */

type Child = Node | string | null | undefined | false
type Listener = (event: Event) => void

export interface ElementProps {
  class?: string
  /** `data-testid`, the stable hook the browser tests use. */
  testid?: string
  text?: string
  attrs?: Record<string, string | number | boolean | null | undefined>
  on?: Record<string, Listener>
  hidden?: boolean
}

/** `h('button', { class: 'x', attrs: { 'aria-label': 'Send' } }, 'Send')`: an element, no innerHTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  if (props.class) element.className = props.class
  if (props.testid) element.setAttribute('data-testid', props.testid)
  if (props.text !== undefined) element.textContent = props.text
  if (props.hidden) element.hidden = true
  for (const [name, value] of Object.entries(props.attrs ?? {})) setAttribute(element, name, value)
  for (const [type, listener] of Object.entries(props.on ?? {})) element.addEventListener(type, listener)
  append(element, ...children)
  return element
}

/** Appends children, strings as text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  }
}

/** Sets (or, for null/undefined/false, removes) an attribute. */
export function setAttribute(
  element: Element,
  name: string,
  value: string | number | boolean | null | undefined,
): void {
  if (value === null || value === undefined || value === false) element.removeAttribute(name)
  else element.setAttribute(name, value === true ? '' : String(value))
}

const svgNamespace = 'http://www.w3.org/2000/svg'

/** A 24x24 stroked icon from SVG path data (static strings from this bundle only). */
export function icon(paths: string[]): SVGSVGElement {
  const svg = document.createElementNS(svgNamespace, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  for (const data of paths) {
    const path = document.createElementNS(svgNamespace, 'path')
    path.setAttribute('d', data)
    svg.appendChild(path)
  }
  return svg
}

export const icons = {
  chat: ['M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z'],
  close: ['M6 6l12 12', 'M18 6L6 18'],
  send: ['M4 12l16-8-6 16-2.5-6.5z', 'M11.5 13.5L20 4'],
  attach: [
    'M20 11.5l-8.2 8.2a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8',
  ],
  bell: ['M6 16V11a6 6 0 0 1 12 0v5l2 2H4z', 'M10 20a2 2 0 0 0 4 0'],
  list: ['M4 6h16', 'M4 12h16', 'M4 18h10'],
  plus: ['M12 5v14', 'M5 12h14'],
  back: ['M15 6l-6 6 6 6'],
}
