import { XMLParser, XMLValidator } from 'fast-xml-parser'

/** An XML element with its attributes and children in document order. */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlNode[]
}

/** An element or a text node. */
export type XmlNode = XmlElement | { text: string }

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: true,
})

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> }

function convert(nodes: OrderedNode[]): XmlNode[] {
  const result: XmlNode[] = []
  for (const node of nodes) {
    for (const key of Object.keys(node)) {
      if (key === ':@') continue
      const value = node[key]
      if (key === '#text') {
        result.push({ text: String(value) })
      } else if (!key.startsWith('?')) {
        result.push({
          name: key,
          attributes: node[':@'] ?? {},
          children: Array.isArray(value) ? convert(value as OrderedNode[]) : [],
        })
      }
    }
  }
  return result
}

/** Thrown for XML that is not well-formed. */
export class InvalidXmlError extends Error {
  override readonly name = 'InvalidXmlError'
}

/**
 * Parses XML into a small ordered tree (fast-xml-parser with preserveOrder, which keeps runs and
 * shapes in document order). Not well-formed XML is rejected instead of half-parsed.
 */
export function parseXml(xml: string): XmlElement[] {
  const validation = XMLValidator.validate(xml)
  if (validation !== true) {
    throw new InvalidXmlError(`${validation.err.msg} (line ${validation.err.line})`)
  }
  return convert(parser.parse(xml) as OrderedNode[]).filter((node): node is XmlElement => 'name' in node)
}

/** True for element nodes. */
export function isXmlElement(node: XmlNode): node is XmlElement {
  return 'name' in node
}

/** The element children of `element` with this qualified name. */
export function childElements(element: XmlElement | undefined, name: string): XmlElement[] {
  if (!element) return []
  return element.children.filter((child): child is XmlElement => isXmlElement(child) && child.name === name)
}

/** The first element child with this name. */
export function childElement(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return childElements(element, name)[0]
}

/** Follows a path of child names ("p:cSld", "p:spTree"). */
export function descendantAt(
  element: XmlElement | undefined,
  path: readonly string[],
): XmlElement | undefined {
  let current = element
  for (const name of path) current = childElement(current, name)
  return current
}

/** Every descendant element with this name, in document order. */
export function findAll(element: XmlElement, name: string, found: XmlElement[] = []): XmlElement[] {
  for (const child of element.children) {
    if (!isXmlElement(child)) continue
    if (child.name === name) found.push(child)
    findAll(child, name, found)
  }
  return found
}

/** All text inside an element. */
export function textContent(node: XmlNode): string {
  if (!isXmlElement(node)) return node.text
  return node.children.map(textContent).join('')
}
