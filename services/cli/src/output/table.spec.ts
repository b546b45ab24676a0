import { formatAge } from './format';
import { fitColumnWidths, renderFields, renderTable, truncate } from './table';

describe('tables', () => {
  const headers = ['name', 'state', 'labels'];
  const rows = [
    ['eu-1', 'connected', 'env=prod,region=eu-west,team=payments'],
    ['us-east-2', 'pending', '<none>'],
  ];

  it('lays out kubectl-style columns without cutting when there is no width (piped)', () => {
    expect(renderTable(headers, rows)).toBe(
      'NAME        STATE       LABELS\n' +
        'eu-1        connected   env=prod,region=eu-west,team=payments\n' +
        'us-east-2   pending     <none>\n',
    );
  });

  it('fits the terminal by cutting the widest column with an ellipsis, never a short one', () => {
    const out = renderTable(headers, rows, { maxWidth: 40 });
    const lines = out.trimEnd().split('\n');
    expect(lines.every((l) => l.length <= 40)).toBe(true);
    expect(lines[1]).toBe('eu-1        connected   env=prod,region…');
    expect(lines[2]).toBe('us-east-2   pending     <none>');
  });

  it('cuts the widest column first, then levels wide columns, and stops at a floor', () => {
    expect(fitColumnWidths([30, 10, 4], ['a', 'b', 'c'], 40)).toEqual([20, 10, 4]);
    expect(fitColumnWidths([30, 28, 4], ['a', 'b', 'c'], 40)).toEqual([15, 15, 4]);
    // Nothing can go below max(header, 6): the line stays too long rather than unreadable.
    expect(fitColumnWidths([30, 30], ['a', 'b'], 5)).toEqual([6, 6]);
    expect(fitColumnWidths([30, 30], ['a', 'b'], undefined)).toEqual([30, 30]);
  });

  it('truncates with an ellipsis and keeps cells on one line', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(renderTable(['a'], [['x\ny']])).toBe('A\nx y\n');
  });

  it('paints after layout, so colour codes do not count as width', () => {
    const out = renderTable(['n', 's'], [['a', 'ok']], { paint: (t, _r, c) => (c === 1 ? `<${t}>` : t) });
    expect(out).toBe('N   S\na   <ok>\n');
  });

  it('renders fields aligned, and ages as kubectl does', () => {
    expect(
      renderFields([
        ['name', 'eu-1'],
        ['public key', 'UABC'],
      ]),
    ).toBe('name:        eu-1\npublic key:  UABC\n');
    const now = new Date('2026-11-26T12:00:00Z');
    expect(formatAge('2026-11-26T11:59:15Z', now)).toBe('45s');
    expect(formatAge('2026-11-26T11:00:00Z', now)).toBe('60m');
    expect(formatAge('2026-11-26T06:00:00Z', now)).toBe('6h');
    expect(formatAge('2026-11-20T12:00:00Z', now)).toBe('6d');
    expect(formatAge(null, now)).toBe('<unknown>');
  });
});
