import { posix } from 'node:path'
import JSZip from 'jszip'
import type { DocumentParser, ParsedBlock } from '../parsed-document.ts'
import { documentMimeTypes } from './detect-format.ts'
import { officeCoreTitle } from './office-core-properties.ts'
import { unreadableDocument } from './parser-errors.ts'
import { tableText } from './table-text.ts'
import { collapseWhitespace } from './text-cleanup.ts'
import {
  childElement,
  childElements,
  descendantAt,
  findAll,
  isXmlElement,
  parseXml,
  textContent,
  type XmlElement,
} from './xml-tree.ts'

const relationshipNamespace = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'

/** A relationship target resolved against the folder of the part that owns the relationship. */
function resolveTarget(ownerPart: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1)
  return posix.normalize(posix.join(posix.dirname(ownerPart), target))
}

/** The `_rels` part of a part: ppt/slides/slide1.xml -> ppt/slides/_rels/slide1.xml.rels. */
function relationshipsPartOf(part: string): string {
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`)
}

interface Relationship {
  type: string
  target: string
}

async function readRelationships(zip: JSZip, part: string): Promise<Map<string, Relationship>> {
  const relationships = new Map<string, Relationship>()
  const xml = await zip.file(relationshipsPartOf(part))?.async('string')
  if (!xml) return relationships
  const [root] = parseXml(xml)
  for (const relationship of childElements(root, 'Relationship')) {
    const { Id: id, Type: type = '', Target: target, TargetMode: mode } = relationship.attributes
    if (id && target && mode !== 'External')
      relationships.set(id, { type, target: resolveTarget(part, target) })
  }
  return relationships
}

/** The attribute `r:id` whatever prefix the relationships namespace uses in this part. */
function relationshipId(element: XmlElement, root: XmlElement): string | undefined {
  const prefix = Object.entries(root.attributes).find(([, value]) => value === relationshipNamespace)?.[0]
  const name = prefix?.startsWith('xmlns:') ? `${prefix.slice(6)}:id` : 'r:id'
  return element.attributes[name] ?? element.attributes['r:id']
}

/** Slide parts in presentation order (ppt/presentation.xml's slide list), else by file number. */
async function slideParts(zip: JSZip): Promise<string[]> {
  const presentationXml = await zip.file('ppt/presentation.xml')?.async('string')
  if (presentationXml === undefined) throw new Error('ppt/presentation.xml is missing')
  const [presentation] = parseXml(presentationXml)
  if (!presentation) throw new Error('ppt/presentation.xml is empty')
  const relationships = await readRelationships(zip, 'ppt/presentation.xml')
  const ordered = childElements(descendantAt(presentation, ['p:sldIdLst']), 'p:sldId')
    .map((slideId) => relationships.get(relationshipId(slideId, presentation) ?? '')?.target)
    .filter((target): target is string => target !== undefined)
  if (ordered.length > 0) return ordered
  return Object.keys(zip.files)
    .map((name) => ({ name, number: Number(/^ppt\/slides\/slide(\d+)\.xml$/.exec(name)?.[1]) }))
    .filter(({ number }) => Number.isFinite(number))
    .sort((left, right) => left.number - right.number)
    .map(({ name }) => name)
}

/** The text of one DrawingML paragraph (runs, fields, line breaks). */
function paragraphText(paragraph: XmlElement): string {
  const parts: string[] = []
  for (const child of paragraph.children) {
    if (!isXmlElement(child)) continue
    if (child.name === 'a:r' || child.name === 'a:fld')
      parts.push(textContent(childElement(child, 'a:t') ?? child))
    else if (child.name === 'a:br') parts.push('\n')
  }
  return parts
    .join('')
    .split('\n')
    .map((line) => collapseWhitespace(line))
    .filter((line) => line !== '')
    .join('\n')
}

/** The placeholder type of a shape ("title", "body", "dt"...), undefined for a plain shape. */
function placeholderType(shape: XmlElement): string | undefined {
  const placeholder = descendantAt(shape, ['p:nvSpPr', 'p:nvPr', 'p:ph'])
  if (!placeholder) return undefined
  return placeholder.attributes.type ?? 'body'
}

/** Blocks of a text body: bullet paragraphs grouped into list blocks, the rest as paragraphs. */
function textBodyBlocks(
  textBody: XmlElement,
  { bulletsByDefault }: { bulletsByDefault: boolean },
): ParsedBlock[] {
  const blocks: ParsedBlock[] = []
  let listLines: string[] = []
  const flushList = () => {
    if (listLines.length > 0) blocks.push({ kind: 'list', text: listLines.join('\n') })
    listLines = []
  }
  for (const paragraph of childElements(textBody, 'a:p')) {
    const text = paragraphText(paragraph)
    if (text === '') continue
    const properties = childElement(paragraph, 'a:pPr')
    const explicitBullet = childElement(properties, 'a:buChar') ?? childElement(properties, 'a:buAutoNum')
    const noBullet = childElement(properties, 'a:buNone')
    const isBullet = explicitBullet !== undefined || (bulletsByDefault && noBullet === undefined)
    if (isBullet) {
      const level = Math.min(Number(properties?.attributes.lvl) || 0, 8)
      listLines.push(`${'  '.repeat(level)}- ${text.replace(/\n/g, ' ')}`)
    } else {
      flushList()
      blocks.push({ kind: 'paragraph', text })
    }
  }
  flushList()
  return blocks
}

/** A DrawingML table as text; `firstRow="1"` on the table marks a header row. */
function tableBlock(table: XmlElement): ParsedBlock | undefined {
  const rows = childElements(table, 'a:tr').map((row) =>
    childElements(row, 'a:tc').map((cell) => {
      if (cell.attributes.hMerge === '1' || cell.attributes.vMerge === '1') return ''
      const textBody = childElement(cell, 'a:txBody')
      return textBody ? childElements(textBody, 'a:p').map(paragraphText).join(' ') : ''
    }),
  )
  const hasHeader = descendantAt(table, ['a:tblPr'])?.attributes.firstRow === '1' && rows.length > 1
  const text = hasHeader ? tableText({ header: rows[0], rows: rows.slice(1) }) : tableText({ rows })
  return text === '' ? undefined : { kind: 'table', text }
}

interface ShapeBlocks {
  isTitle: boolean
  blocks: ParsedBlock[]
}

/** Blocks of the shapes in a shape tree or group, in document order (groups recursed). */
function shapeTreeBlocks(tree: XmlElement, found: ShapeBlocks[] = []): ShapeBlocks[] {
  for (const child of tree.children) {
    if (!isXmlElement(child)) continue
    if (child.name === 'p:sp') {
      const type = placeholderType(child)
      if (type === 'sldNum') continue
      const textBody = childElement(child, 'p:txBody')
      if (!textBody) continue
      if (type === 'title' || type === 'ctrTitle') {
        const text = collapseWhitespace(childElements(textBody, 'a:p').map(paragraphText).join(' '))
        if (text !== '') found.push({ isTitle: true, blocks: [{ kind: 'heading', level: 1, text }] })
        continue
      }
      found.push({ isTitle: false, blocks: textBodyBlocks(textBody, { bulletsByDefault: type === 'body' }) })
    } else if (child.name === 'p:grpSp') {
      shapeTreeBlocks(child, found)
    } else if (child.name === 'p:graphicFrame') {
      for (const table of findAll(child, 'a:tbl')) {
        const block = tableBlock(table)
        if (block) found.push({ isTitle: false, blocks: [block] })
      }
    } else if (child.name === 'mc:AlternateContent') {
      const choice = childElement(child, 'mc:Choice') ?? childElement(child, 'mc:Fallback')
      if (choice) shapeTreeBlocks(choice, found)
    }
  }
  return found
}

/**
 * Speaker notes of a slide (the body placeholder of its notes slide). Notes are extra: a damaged
 * notes part loses the notes, not the slide.
 */
async function notesBlocks(zip: JSZip, slidePart: string): Promise<ParsedBlock[]> {
  try {
    return await readNotesBlocks(zip, slidePart)
  } catch {
    return []
  }
}

async function readNotesBlocks(zip: JSZip, slidePart: string): Promise<ParsedBlock[]> {
  const relationships = await readRelationships(zip, slidePart)
  const notes = [...relationships.values()].find((relationship) => relationship.type.endsWith('/notesSlide'))
  const xml = notes ? await zip.file(notes.target)?.async('string') : undefined
  if (!xml) return []
  const [root] = parseXml(xml)
  const tree = descendantAt(root, ['p:cSld', 'p:spTree'])
  if (!tree) return []
  const text = childElements(tree, 'p:sp')
    .filter((shape) => placeholderType(shape) === 'body')
    .flatMap((shape) => childElements(childElement(shape, 'p:txBody'), 'a:p').map(paragraphText))
    .filter((line) => line !== '')
    .join('\n')
  return text === '' ? [] : [{ kind: 'paragraph', text: `Speaker notes: ${text}` }]
}

/**
 * PowerPoint presentations: one page per slide, in presentation order. The title placeholder
 * becomes a level-1 heading (first on its slide), bulleted paragraphs a list, other text
 * paragraphs, tables rows of text, speaker notes a "Speaker notes:" paragraph; slide numbers are
 * skipped. Parts the text does not need (layouts, themes, masters) may be missing. A file that is
 * not a readable ZIP, has no ppt/presentation.xml, or has a slide that is missing or not
 * well-formed XML is a 422.
 */
export const pptxParser: DocumentParser = {
  name: 'pptx',
  mimeTypes: [documentMimeTypes.pptx],
  async parse({ bytes, mimeType }) {
    try {
      const zip = await JSZip.loadAsync(bytes)
      const parts = await slideParts(zip)
      const blocks: ParsedBlock[] = []
      for (const [index, part] of parts.entries()) {
        const page = index + 1
        const xml = await zip.file(part)?.async('string')
        if (xml === undefined) throw new Error(`slide ${page} (${part}) is missing`)
        let root: XmlElement | undefined
        try {
          root = parseXml(xml)[0]
        } catch (error) {
          throw new Error(
            `slide ${page} is damaged: ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
            },
          )
        }
        const tree = descendantAt(root, ['p:cSld', 'p:spTree'])
        const shapes = tree ? shapeTreeBlocks(tree) : []
        const ordered = [
          ...shapes.filter((shape) => shape.isTitle),
          ...shapes.filter((shape) => !shape.isTitle),
        ]
        const slideBlocks = [...ordered.flatMap((shape) => shape.blocks), ...(await notesBlocks(zip, part))]
        blocks.push(...slideBlocks.map((block) => ({ ...block, page })))
      }
      const firstTitle = blocks.find((block) => block.kind === 'heading')?.text
      const title = (await officeCoreTitle(zip)) ?? firstTitle
      return { title, mimeType, pageCount: parts.length, blocks }
    } catch (error) {
      throw unreadableDocument({ format: 'PPTX', cause: error })
    }
  },
}
