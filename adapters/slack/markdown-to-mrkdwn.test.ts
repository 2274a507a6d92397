import { describe, expect, it } from 'vitest'
import { markdownToMrkdwn } from './markdown-to-mrkdwn.ts'

describe('markdownToMrkdwn', () => {
  it.each([
    ['**bold** and __also bold__', '*bold* and *also bold*'],
    ['*italic* and _italic_', '_italic_ and _italic_'],
    ['~~gone~~', '~gone~'],
    [
      'See [the handbook](https://example.com/h?a=1&b=2).',
      'See <https://example.com/h?a=1&b=2|the handbook>.',
    ],
    ['![chart](https://example.com/c.png)', '<https://example.com/c.png|chart>'],
    ['[click](javascript:alert(1))', '[click](javascript:alert(1))'],
    ['# Pipeline **review**', '*Pipeline review*'],
    ['- first\n* second\n  + nested', '• first\n• second\n  • nested'],
    ['- [ ] open\n- [x] done', '• ☐ open\n• ☑ done'],
    ['1. one\n2. two', '1. one\n2. two'],
    ['> quoted **text**', '> quoted *text*'],
    ['a < b && c > d', 'a &lt; b &amp;&amp; c &gt; d'],
    ['<!channel> <@U123> hi', '&lt;!channel&gt; &lt;@U123&gt; hi'],
    ['Use `**not bold**` here', 'Use `**not bold**` here'],
    ['2 * 3 * 4 = 24', '2 * 3 * 4 = 24'],
    ['Cited [1] and [2].', 'Cited [1] and [2].'],
    ['---', '──────────'],
  ])('%j -> %j', (markdown, mrkdwn) => {
    expect(markdownToMrkdwn(markdown)).toBe(mrkdwn)
  })

  it('leaves code blocks alone (escaped only) and drops the language', () => {
    expect(markdownToMrkdwn('```ts\nconst a = **b** < c\n```\nafter **x**')).toBe(
      '```\nconst a = **b** &lt; c\n```\nafter *x*',
    )
  })

  it('closes a code block a stream has not closed yet', () => {
    expect(markdownToMrkdwn('```\npartial')).toBe('```\npartial\n```')
  })

  it('keeps tables aligned in a code block', () => {
    expect(markdownToMrkdwn('| Deal | Stage |\n|---|---|\n| Acme | Won |\n\nDone.')).toBe(
      '```\n| Deal | Stage |\n|---|---|\n| Acme | Won |\n```\n\nDone.',
    )
  })
})
