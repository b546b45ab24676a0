/**
 * kubectl-style tables: upper-case headers, columns three spaces apart, no borders. On a
 * terminal the table fits its width: the widest column is cut first, with an ellipsis, so
 * the short columns (state, age) stay whole. Piped output (no width) is never cut.
 */
export const columnGap = 3;
/** A column is never cut narrower than this (or its header, or its natural width if smaller). */
export const minColumnWidth = 6;
const ellipsis = '…';

export interface TableOptions {
  /** Terminal width in columns; undefined = unlimited. */
  maxWidth?: number;
  /** Wraps a cell's padded text (colour); applied after layout so escape codes never count as width. */
  paint?: (text: string, row: number, column: number) => string;
}

export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return ellipsis.slice(0, width);
  return `${text.slice(0, width - 1)}${ellipsis}`;
}

/** Column widths that fit maxWidth, cutting the currently widest cuttable column one step at a time. */
export function fitColumnWidths(natural: readonly number[], headers: readonly string[], maxWidth?: number): number[] {
  const widths = [...natural];
  if (maxWidth === undefined || widths.length === 0) return widths;
  const floor = widths.map((w, i) => Math.min(w, Math.max(minColumnWidth, headers[i]!.length)));
  let overflow = widths.reduce((a, b) => a + b, 0) + columnGap * (widths.length - 1) - maxWidth;
  while (overflow > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break; // nothing left to cut: the terminal wraps, content stays readable
    widths[widest]!--;
    overflow--;
  }
  return widths;
}

export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  // Cells are single-line: a newline in a value would break the columns.
  const clean = rows.map((row) => row.map((cell) => cell.replace(/\s*\n\s*/g, ' ')));
  const natural = headers.map((h, i) => Math.max(h.length, ...clean.map((row) => (row[i] ?? '').length)));
  const widths = fitColumnWidths(natural, headers, options.maxWidth);
  const line = (cells: readonly string[], rowIndex: number) =>
    cells
      .map((cell, i) => {
        const text = truncate(cell, widths[i]!);
        // No trailing spaces after the last column.
        const padded = i === cells.length - 1 ? text : text.padEnd(widths[i]!);
        return rowIndex >= 0 && options.paint ? options.paint(padded, rowIndex, i) : padded;
      })
      .join(' '.repeat(columnGap));
  return (
    [
      line(
        headers.map((h) => h.toUpperCase()),
        -1,
      ),
      ...clean.map((row, r) => line(row, r)),
    ].join('\n') + '\n'
  );
}

/** `field: value` lines for one object (`get`), keys aligned. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length + 1));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join('\n') + '\n';
}
