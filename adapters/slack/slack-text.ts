/**
 * Turns Slack message markup into plain text for the model: `<@U123>` -> `@Ada`, `<#C1|sales>` ->
 * `#sales`, `<https://x|label>` -> `label (https://x)`, `<!here>` -> `@here`, entities decoded.
 * `mentionName` resolves user mentions; `dropUserId` (the bot) is removed entirely.
 */
export async function slackTextToPlain({
  text,
  mentionName,
  dropUserId,
}: {
  text: string
  mentionName: (userId: string) => Promise<string>
  dropUserId?: string | undefined
}): Promise<string> {
  const mentioned = [...new Set([...text.matchAll(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g)].map((match) => match[1]!))]
  const names = new Map<string, string>()
  for (const userId of mentioned.slice(0, 10)) {
    if (userId === dropUserId) continue
    names.set(userId, await mentionName(userId).catch(() => userId))
  }
  return text
    .replace(/<@([A-Z0-9]+)(?:\|([^>]*))?>/g, (_match, userId: string, label?: string) =>
      userId === dropUserId ? '' : `@${names.get(userId) ?? label ?? userId}`,
    )
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/<#([A-Z0-9]+)>/g, '#$1')
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>/g, (_match, label?: string) => label ?? '@group')
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<((?:https?|mailto):[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<((?:https?|mailto):[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]{2,}/g, ' ')
    .trim()
}
