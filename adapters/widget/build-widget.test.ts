import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { buildWidgetScript } from './build-widget.ts'

/**
 * Size budget for widget.js (minified, marked and DOMPurify included): 150 KB, and 50 KB gzipped,
 * which is what a host page actually downloads. Measured at the time of writing: about 135 KB / 46 KB.
 */
const budgetBytes = 150 * 1024
const budgetGzipBytes = 50 * 1024

describe('buildWidgetScript', () => {
  it('builds one self-contained classic script within the size budget, once', async () => {
    const script = await buildWidgetScript()
    // A classic script (what <script src> runs): no import/export statements, and it parses as one.
    expect(() => new Function(script)).not.toThrow()
    expect(script).not.toMatch(/\bimport\s*\(/)
    expect(script).not.toMatch(/(^|[;}])\s*(import|export)\s*[{*"'\w]/m)
    expect(script).not.toContain('require(')
    expect(script).toContain('window.Nereid')
    expect(script.length).toBeLessThan(budgetBytes)
    expect(gzipSync(script).length).toBeLessThan(budgetGzipBytes)
    // Built once per process: the second call is the same string, without a rebuild.
    const started = performance.now()
    expect(await buildWidgetScript()).toBe(script)
    expect(performance.now() - started).toBeLessThan(20)
  })
})
