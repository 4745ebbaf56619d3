/**
 * Text from pirate pages and people, made safe for Slack's mrkdwn: `&`, `<` and `>` escaped, so a
 * page title cannot ping a channel (`<!channel>`), mention anyone or forge a link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link in mrkdwn: the URL with the characters that would end the link percent-encoded, the label escaped. */
export function mrkdwnLink(url: string, label: string): string {
  const safe = url.replace(/[<>| ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).replace(/&/g, '&amp;');
  return `<${safe}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}
