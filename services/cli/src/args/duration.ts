import { UsageError } from '../errors';

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `90s`, `15m`, `1h30m`, `7d` (Go-style, as kubectl and flux users write them) to whole seconds. */
export function parseDurationSeconds(text: string, flag: string): number {
  const trimmed = text.trim();
  const pattern = /(\d+)([smhd])/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(trimmed); match; match = pattern.exec(trimmed)) {
    total += Number(match[1]) * unitSeconds[match[2]!]!;
    consumed = pattern.lastIndex;
  }
  if (trimmed.length === 0 || consumed !== trimmed.length) {
    throw new UsageError(`${flag} "${text}": expected a duration such as 30m, 1h, 1h30m or 7d`);
  }
  if (total <= 0) throw new UsageError(`${flag} "${text}": must be longer than zero`);
  return total;
}
