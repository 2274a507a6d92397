import { describe, expect, it } from 'vitest'
import { demoPageHtml } from './demo-page.ts'

describe('demoPageHtml', () => {
  it('embeds the widget with one script tag under hostile host CSS', () => {
    const html = demoPageHtml()
    expect(html).toContain('<script src="/widget.js" data-token-url="/demo/widget-token" defer></script>')
    expect(html).toMatch(/\*\s*\{[^}]*!important/)
    expect(html).toContain('button { display: none; }')
  })

  it('passes widget options as data attributes, escaped', () => {
    const html = demoPageHtml({
      workspaceName: '<Acme & "Sons">',
      widgetOptions: { theme: 'dark', primaryColor: '#123456', title: 'A "quoted" <title>' },
    })
    expect(html).toContain('data-theme="dark"')
    expect(html).toContain('data-primary-color="#123456"')
    expect(html).toContain('data-title="A &quot;quoted&quot; &lt;title&gt;"')
    expect(html).toContain('&lt;Acme &amp; &quot;Sons&quot;&gt; CRM')
    expect(html).not.toContain('<Acme')
  })
})
