import { placeReport, reportPlaceOf } from './report-order';

describe('a report’s place in its cluster’s order', () => {
  const at = (seq: number, epoch = 'e1') => ({ epoch, seq });

  it('given nothing recorded, when report 1 comes, then it is next; a later one is early (it waits for 1)', () => {
    expect(placeReport(undefined, at(1))).toBe('next');
    expect(placeReport(undefined, at(7))).toBe('early');
  });

  it('given 4 recorded, when 5 comes, then it is next; 3 or 4 are seen; 6 is early', () => {
    expect(placeReport(at(4), at(5))).toBe('next');
    expect(placeReport(at(4), at(4))).toBe('seen');
    expect(placeReport(at(4), at(3))).toBe('seen');
    expect(placeReport(at(4), at(6))).toBe('early');
  });

  it('given a new epoch, when its first report comes, then it is next; a later one waits', () => {
    expect(placeReport(at(4000), at(1, 'e2'))).toBe('next');
    expect(placeReport(at(4000), at(2, 'e2'))).toBe('early');
  });

  it('reads the place from headers, or none from a sender without one', () => {
    expect(reportPlaceOf('e1', '12')).toEqual({ epoch: 'e1', seq: 12 });
    expect(reportPlaceOf(undefined, '12')).toBeUndefined();
    expect(reportPlaceOf('e1', '0')).toBeUndefined();
    expect(reportPlaceOf('e1', '1e3')).toBeUndefined();
    expect(reportPlaceOf('e1', '99999999999999999')).toBeUndefined();
  });
});
