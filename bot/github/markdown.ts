/** A fenced code block whose fence is longer than any run of backticks inside, so catalog text cannot close it. */
export function codeBlock(content: string, lang = ''): string {
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${content}\n${fence}`;
}

/** Cuts text to at most `max` characters (GitHub refuses longer bodies), saying so at the end. */
export function truncate(text: string, max: number, note = '\n\n… (truncated)'): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - note.length))}${note}`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
