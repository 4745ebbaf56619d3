/**
 * CPU seconds spent so far by this process and every child it has waited for (ffmpeg runs exit and
 * are reaped before their promises settle). On a machine shared with other work, wall time says
 * more about the neighbours than about us; CPU time is what a run costs whoever else is running.
 * Linux only: /proc/self/stat's utime, stime, cutime and cstime, in clock ticks.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

export function cpuSeconds(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3,
  // utime..cstime are fields 14..17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0);
  return ticks / ticksPerSecond;
}
