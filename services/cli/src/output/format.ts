/** Small formatters for table cells. */

/** kubectl's age style: 45s, 12m, 5h, 3d, 2y; `<unknown>` for a missing or future-skewed time. */
export function formatAge(iso: string | null | undefined, now: Date): string {
  if (!iso) return '<unknown>';
  const ms = now.getTime() - new Date(iso).getTime();
  if (Number.isNaN(ms)) return '<unknown>';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof codes;

/** Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org). */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function paint(text: string, colour: Colour | undefined, enabled: boolean): string {
  return enabled && colour ? `\u001b[${codes[colour]}m${text}\u001b[0m` : text;
}

export function stateColour(state: string): Colour | undefined {
  if (state === 'connected') return 'green';
  if (state === 'disconnected') return 'red';
  if (state === 'pending') return 'yellow';
  if (state === 'deregistered') return 'dim';
  return undefined;
}
