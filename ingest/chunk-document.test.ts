import { describe, expect, it } from 'vitest'
import { AppError } from '../core/index.ts'
import { chunkDocument, type DocumentChunk } from './chunk-document.ts'
import { countTokens } from './embedders/token-count.ts'
import type { ParsedBlock, ParsedDocument } from './parsed-document.ts'

// Deterministic filler text: sentences of 8-20 words from a fixed vocabulary.
const vocabulary = (
  'pipeline customer invoice renewal forecast quarter region manager account contract discount ' +
  'campaign audience segment budget launch review approval ticket escalation priority release ' +
  'warehouse shipment supplier payment reminder meeting agenda summary report dashboard metric'
).split(' ')

function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

function sentences(count: number, seed: number): string[] {
  const random = seeded(seed)
  return Array.from({ length: count }, (_, index) => {
    const length = 8 + Math.floor(random() * 13)
    const words = Array.from({ length }, () => vocabulary[Math.floor(random() * vocabulary.length)]!)
    words[0] = `S${seed}x${index} ${words[0]}`
    return `${words.join(' ')}.`
  })
}

/** A paragraph of about `tokens` tokens. */
function paragraph(tokens: number, seed: number): string {
  const all = sentences(Math.ceil(tokens / 10) + 5, seed)
  const picked: string[] = []
  for (const sentence of all) {
    picked.push(sentence)
    if (countTokens(picked.join(' ')) >= tokens) break
  }
  return picked.join(' ')
}

const heading = (text: string, level: number, page?: number): ParsedBlock => ({
  kind: 'heading',
  text,
  level,
  ...(page !== undefined ? { page } : {}),
})
const para = (text: string, page?: number): ParsedBlock => ({
  kind: 'paragraph',
  text,
  ...(page !== undefined ? { page } : {}),
})
const doc = (blocks: ParsedBlock[], title?: string): ParsedDocument => ({
  mimeType: 'text/markdown',
  title,
  blocks,
})

/** The longest suffix of `previous` that is also a prefix of `next`. */
function sharedOverlap(previous: string, next: string): string {
  for (let length = Math.min(previous.length, next.length); length > 0; length--) {
    const candidate = next.slice(0, length)
    if (previous.endsWith(candidate)) return candidate
  }
  return ''
}

describe('chunkDocument', () => {
  it('gives every chunk the right heading path in a nested document', () => {
    const document = doc([
      heading('Handbook', 1),
      para('Welcome to the handbook.'),
      heading('Sales', 2),
      para(paragraph(300, 1)),
      heading('Pipeline', 3),
      para(paragraph(300, 2)),
      heading('Stages', 4),
      para('Lead, qualified, proposal, won.'),
      heading('Support', 2),
      para(paragraph(100, 3)),
      heading('Escalation', 3),
      para(paragraph(450, 4)),
      heading('Appendix', 1),
      para('Glossary of terms.'),
    ])
    const chunks = chunkDocument({ document, title: 'Team handbook' })
    expect(chunks.map((chunk) => chunk.headingPath)).toEqual([
      ['Handbook'],
      ['Handbook', 'Sales', 'Pipeline'],
      ['Handbook', 'Support'],
      ['Handbook', 'Support', 'Escalation'],
      ['Appendix'],
    ])
    // A subsection that fits is packed into its parent's chunk as a line of text.
    expect(chunks[0]!.text).toMatch(/^Welcome to the handbook\.\n\nSales\n\nS1x0 /)
    expect(chunks[1]!.text).toContain('\n\nStages\n\nLead, qualified, proposal, won.')
    expect(chunks[2]!.text.startsWith('S3x0 ')).toBe(true)
    expect(chunks[3]!.text.startsWith('S4x0 ')).toBe(true)
    expect(chunks[4]!.text).toBe('Glossary of terms.')
    expect(chunks.map((chunk) => chunk.position)).toEqual([0, 1, 2, 3, 4])
  })

  it('starts a new chunk for each new section, even when both would fit in one', () => {
    const chunks = chunkDocument({
      document: doc([
        para('A preamble line.'),
        heading('Pricing', 2),
        para('Plans start at 10 euros.'),
        heading('Billing', 2),
        para('Invoices go out monthly.'),
        heading('Refunds', 3),
        para('Within 30 days.'),
        heading('Contact', 1),
        para('Write to us.'),
      ]),
      title: 'FAQ',
    })
    expect(chunks.map((chunk) => [chunk.headingPath, chunk.text])).toEqual([
      [[], 'A preamble line.'],
      [['Pricing'], 'Plans start at 10 euros.'],
      [['Billing'], 'Invoices go out monthly.\n\nRefunds\n\nWithin 30 days.'],
      [['Contact'], 'Write to us.'],
    ])
  })

  it('makes ~500-token chunks with ~50 tokens of whole-sentence overlap in a long section', () => {
    const blocks: ParsedBlock[] = [heading('Operations', 1), heading('Runbook', 2)]
    for (let index = 0; index < 12; index++) blocks.push(para(paragraph(180 + (index % 4) * 60, 10 + index)))
    const chunks = chunkDocument({ document: doc(blocks), title: 'Ops' })
    expect(chunks.length).toBeGreaterThanOrEqual(5)
    for (const chunk of chunks) {
      expect(chunk.headingPath).toEqual(['Operations', 'Runbook'])
      expect(chunk.tokenCount).toBe(countTokens(chunk.text))
      expect(chunk.tokenCount).toBeLessThanOrEqual(800)
    }
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.tokenCount).toBeGreaterThanOrEqual(250)
      expect(chunk.tokenCount).toBeLessThanOrEqual(560)
    }
    const average =
      chunks.slice(0, -1).reduce((sum, chunk) => sum + chunk.tokenCount, 0) / (chunks.length - 1)
    expect(average).toBeGreaterThan(380)
    for (let index = 1; index < chunks.length; index++) {
      const previous = chunks[index - 1]!.text
      const next = chunks[index]!.text
      const overlap = sharedOverlap(previous, next)
      // The next chunk really starts with the end of the previous one...
      expect(next.startsWith(overlap)).toBe(true)
      expect(previous.endsWith(overlap)).toBe(true)
      // ...about 50 tokens of it, in whole sentences.
      const tokens = countTokens(overlap)
      expect(tokens).toBeGreaterThanOrEqual(15)
      expect(tokens).toBeLessThanOrEqual(50)
      expect(overlap).toMatch(/^S\d+x\d+ .*\.$/s)
      expect(previous.slice(0, previous.length - overlap.length)).toMatch(/(^|[.\s])$/)
    }
  })

  it('overlaps nothing when overlapTokens is 0 and honours custom sizes', () => {
    const chunks = chunkDocument({
      document: doc([para(paragraph(2000, 40))]),
      targetTokens: 200,
      overlapTokens: 0,
    })
    expect(chunks.length).toBeGreaterThanOrEqual(10)
    const joined = chunks.map((chunk) => chunk.text).join(' ')
    expect(joined).toBe(paragraph(2000, 40))
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(200)
  })

  it('never exceeds maxTokens, whatever the blocks look like', () => {
    const rows = Array.from({ length: 300 }, (_, index) => `Row ${index}: ${sentences(1, 500 + index)[0]}`)
    const code = Array.from(
      { length: 400 },
      (_, index) => `  const value${index} = compute(${index}) // step ${index}`,
    )
    const blocks: ParsedBlock[] = [
      heading('Mixed', 1, 1),
      para(paragraph(3000, 50).replaceAll('.', ''), 1), // one endless sentence
      { kind: 'table', text: rows.join('\n'), page: 2 },
      { kind: 'code', text: code.join('\n'), page: 3 },
      para('x'.repeat(20_000), 4), // a blob without spaces
      para('会议纪要和销售预测'.repeat(400), 5), // CJK without punctuation
      {
        kind: 'list',
        text: Array.from({ length: 200 }, (_, index) => `- item ${index} ${vocabulary[index % 30]}`).join(
          '\n',
        ),
      },
      para(`${'emoji 🚀🎉 '.repeat(600)}`),
    ]
    const sizeSettings: { targetTokens?: number; overlapTokens?: number; maxTokens?: number }[] = [
      {},
      { targetTokens: 120, overlapTokens: 20, maxTokens: 150 },
      { targetTokens: 60, overlapTokens: 30 },
    ]
    for (const sizes of sizeSettings) {
      const chunks = chunkDocument({ document: doc(blocks), title: 'Stress', ...sizes })
      const ceiling = sizes.maxTokens ?? Math.floor((sizes.targetTokens ?? 500) * 1.6)
      expect(chunks.length).toBeGreaterThan(10)
      for (const chunk of chunks) {
        expect(chunk.text.trim()).toBe(chunk.text)
        expect(chunk.text.length).toBeGreaterThan(0)
        expect(chunk.tokenCount).toBe(countTokens(chunk.text))
        expect(chunk.tokenCount).toBeLessThanOrEqual(ceiling)
      }
    }
  })

  it('keeps a small table and a medium code block whole, and splits a huge table by rows', () => {
    const smallTable = ['Region | Q1 | Q2', 'North | 10 | 12', 'South | 7 | 9', 'West | 3 | 4'].join('\n')
    const mediumCode = Array.from(
      { length: 60 },
      (_, index) => `print("line ${index} of the report script")`,
    ).join('\n')
    const mediumTokens = countTokens(mediumCode)
    expect(mediumTokens).toBeGreaterThan(500)
    expect(mediumTokens).toBeLessThan(800)
    const chunks = chunkDocument({
      document: doc([
        heading('Report', 1),
        para(paragraph(420, 60)),
        { kind: 'table', text: smallTable },
        { kind: 'code', text: mediumCode },
      ]),
    })
    expect(chunks.filter((chunk) => chunk.text.includes(smallTable))).toHaveLength(1)
    expect(chunks.filter((chunk) => chunk.text.includes(mediumCode))).toHaveLength(1)

    const rows = Array.from(
      { length: 400 },
      (_, index) =>
        `Customer: Account ${index}; Region: ${vocabulary[index % 30]}; Revenue: ${1000 + index * 7}`,
    )
    const huge = chunkDocument({
      document: doc([heading('Customers', 1), { kind: 'table', text: rows.join('\n') }]),
    })
    expect(huge.length).toBeGreaterThan(5)
    const rowSet = new Set(rows)
    let lastRow = -1
    for (const chunk of huge) {
      expect(chunk.tokenCount).toBeLessThanOrEqual(800)
      expect(chunk.headingPath).toEqual(['Customers'])
      const lines = chunk.text.split('\n')
      for (const line of lines) expect(rowSet.has(line)).toBe(true) // whole rows only
      const first = rows.indexOf(lines[0]!)
      expect(first).toBeLessThanOrEqual(lastRow + 1) // in order, overlap repeats at most a few rows
      lastRow = rows.indexOf(lines.at(-1)!)
    }
    expect(lastRow).toBe(rows.length - 1)
  })

  it('starts a new chunk on a new page so every chunk cites one page', () => {
    const chunks = chunkDocument({
      document: doc([
        heading('Contract', 1, 1),
        para(paragraph(200, 70), 1),
        para(paragraph(200, 71), 2),
        heading('Termination', 2, 3), // does not fit after 400 tokens: a chunk of its own
        para(paragraph(150, 72), 3),
        para(paragraph(100, 73)), // no page of its own: still page 3
      ]),
    })
    expect(chunks).toHaveLength(3)
    expect(chunks[0]).toMatchObject({ page: 1, headingPath: ['Contract'] })
    expect(chunks[1]).toMatchObject({ page: 2, headingPath: ['Contract'] })
    expect(chunks[2]).toMatchObject({ page: 3, headingPath: ['Contract', 'Termination'] })
    expect(chunks.some((chunk) => 'pageEnd' in chunk)).toBe(false)
    expect(chunks[1]!.text).toBe(paragraph(200, 71))

    const unpaged = chunkDocument({ document: doc([para('No pages here.')]) })
    expect(unpaged[0]!.page).toBeUndefined()
    expect('pageEnd' in unpaged[0]!).toBe(false)
  })

  it('puts the title and heading path in embeddingText', () => {
    const chunks = chunkDocument({
      document: doc([heading('Setup', 1), heading('Linux', 2), para('Run the installer.')], 'Parsed title'),
      title: 'Install guide',
    })
    expect(chunks).toHaveLength(1)
    expect(chunks[0]!.embeddingText).toBe('Install guide\nSetup > Linux\n\nRun the installer.')

    const defaults = chunkDocument({ document: doc([heading('Setup', 1), para('Text.')], 'Parsed title') })
    expect(defaults[0]!.embeddingText).toBe('Parsed title\nSetup\n\nText.')

    const bare = chunkDocument({ document: doc([para('Only text.')]) })
    expect(bare[0]!.embeddingText).toBe('Only text.')
    const titleOnly = chunkDocument({ document: doc([para('Only text.')]), title: 'Notes' })
    expect(titleOnly[0]!.embeddingText).toBe('Notes\n\nOnly text.')
  })

  it('returns [] for an empty document and keeps a headings-only document', () => {
    expect(chunkDocument({ document: doc([]), title: 'Empty' })).toEqual([])
    expect(chunkDocument({ document: doc([para('   \n\t '), heading('  ', 1)]) })).toEqual([])
    const slides = chunkDocument({ document: doc([heading('Q3 review', 1, 1), heading('Thank you', 1, 2)]) })
    expect(slides.map((chunk) => chunk.text)).toEqual(['Q3 review', 'Thank you'])
    expect(slides.map((chunk) => chunk.page)).toEqual([1, 2])
  })

  it('rejects impossible sizes with an AppError', () => {
    const document = doc([para('Text.')])
    for (const sizes of [
      { targetTokens: 0 },
      { overlapTokens: 500 },
      { targetTokens: 500, maxTokens: 400 },
    ]) {
      expect(() => chunkDocument({ document, ...sizes })).toThrow(AppError)
    }
  })

  it('is deterministic', () => {
    const document = doc([
      heading('A', 1),
      para(paragraph(1500, 90)),
      heading('B', 1),
      para(paragraph(700, 91)),
    ])
    const strip = (chunks: DocumentChunk[]) => JSON.stringify(chunks)
    expect(strip(chunkDocument({ document }))).toBe(strip(chunkDocument({ document })))
  })
})
