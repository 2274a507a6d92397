import { describe, expect, it } from 'vitest'
import { insideFence, splitMessage } from './split-message.ts'

describe('splitMessage', () => {
  it('keeps short text whole', () => {
    expect(splitMessage('hello')).toEqual(['hello'])
  })

  it('cuts at paragraph breaks first, and every piece fits', () => {
    const paragraphs = Array.from(
      { length: 12 },
      (_unused, index) => `Paragraph ${index} ${'word '.repeat(60)}`,
    )
    const pieces = splitMessage(paragraphs.join('\n\n'), 1000)
    expect(pieces.length).toBeGreaterThan(1)
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(1000)
      expect(piece.startsWith('Paragraph')).toBe(true)
    }
    expect(pieces.join('\n\n').replace(/\s+/g, ' ')).toBe(paragraphs.join('\n\n').replace(/\s+/g, ' '))
  })

  it('never cuts inside a word when there is a space, nor inside a link label', () => {
    const text = `${'alpha '.repeat(30)}<https://example.com/x|a link label with spaces> ${'omega '.repeat(30)}`
    const pieces = splitMessage(text, 200)
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(200)
      expect(piece.split('<').length).toBe(piece.split('>').length)
      expect(/^(alpha|omega|<https)/.test(piece)).toBe(true)
    }
  })

  it('closes and reopens a code block it cuts through', () => {
    const code = Array.from({ length: 80 }, (_unused, index) => `line ${index}`).join('\n')
    const pieces = splitMessage(`Intro\n\`\`\`\n${code}\n\`\`\`\nOutro`, 300)
    expect(pieces.length).toBeGreaterThan(2)
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(300)
      expect(insideFence(piece)).toBe(false)
    }
  })

  it('cuts an unbroken run that is longer than the limit', () => {
    const pieces = splitMessage('x'.repeat(250), 100)
    expect(pieces.every((piece) => piece.length <= 100)).toBe(true)
    expect(pieces.join('')).toBe('x'.repeat(250))
  })
})
