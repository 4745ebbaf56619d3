import type { Writable } from 'node:stream';

/**
 * The bottom line of a terminal that a progress bar redraws in place. Log lines written to the same
 * stream go through here, so a line never lands in the middle of the bar: the bar is cleared, the
 * line written, and the bar drawn again below it.
 */
export class StatusLine {
  private bar: string | undefined;

  constructor(private readonly stream: Writable) {}

  get tty(): boolean {
    return (this.stream as Writable & { isTTY?: boolean }).isTTY === true;
  }

  /** Replaces the bar (no newline: it stays the current line). */
  draw(bar: string): void {
    this.bar = bar;
    this.stream.write(`\r${bar}\x1b[K`);
  }

  /** Writes finished lines above the bar. */
  write(lines: string): void {
    this.stream.write(this.bar === undefined ? lines : `\r\x1b[K${lines}${this.bar}`);
  }

  /** Leaves the last bar on screen and moves below it. */
  done(): void {
    if (this.bar !== undefined) this.stream.write('\n');
    this.bar = undefined;
  }
}

// One status line per stream: the logger and every progress bar of a command share it.
const lines = new WeakMap<Writable, StatusLine>();

export function statusLineOf(stream: Writable): StatusLine {
  let line = lines.get(stream);
  if (!line) lines.set(stream, (line = new StatusLine(stream)));
  return line;
}
