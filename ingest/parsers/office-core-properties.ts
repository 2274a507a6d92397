import type JSZip from 'jszip'
import { collapseWhitespace } from './text-cleanup.ts'
import { findAll, parseXml, textContent } from './xml-tree.ts'

/** Titles Office fills in by itself ("PowerPoint Presentation", "Document1"...), not real titles. */
const defaultOfficeTitle =
  /^(?:PowerPoint Presentation|Presentation\d*|Document\d*|Book\d*|Slide \d+|Untitled.*|Microsoft (?:Word|PowerPoint|Excel) - .*)$/i

/** A core-properties title worth showing: not empty and not one Office filled in by itself. */
export function usableOfficeTitle(value: string | undefined): string | undefined {
  const text = collapseWhitespace(value ?? '')
  return text === '' || defaultOfficeTitle.test(text) ? undefined : text
}

/**
 * The title in an Office document's core properties (docProps/core.xml, `dc:title`), if any.
 * A missing or unreadable part is not an error: the title is optional.
 */
export async function officeCoreTitle(zip: JSZip): Promise<string | undefined> {
  try {
    const xml = await zip.file('docProps/core.xml')?.async('string')
    if (!xml) return undefined
    const [root] = parseXml(xml)
    const title = root ? findAll(root, 'dc:title')[0] : undefined
    return usableOfficeTitle(title ? textContent(title) : undefined)
  } catch {
    return undefined
  }
}
