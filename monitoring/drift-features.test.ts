import { describe, expect, it } from 'vitest';
import { parseDay } from '../core/calendar.ts';
import { seasonMatched } from './drift-features.ts';

const days = (from: string, count: number) => Array.from({ length: count }, (_, k) => parseDay(from) + k);
const keys = (all: number[], indices: number[]) => [indices.length, new Date(all[indices[0]] * 86_400_000).toISOString().slice(0, 10), new Date(all[indices.at(-1)!] * 86_400_000).toISOString().slice(0, 10)];

describe('the season-matched reference', () => {
  const training = days('2025-01-01', 365);

  it('is the training days within the margin of the recent dates, centred on them', () => {
    const m = seasonMatched(training, days('2026-10-17', 14), 14, 28);
    expect(keys(training, m.indices)).toEqual([42, '2025-10-03', '2025-11-13']);
    expect(m.months).toEqual([10, 11]);
  });

  it('wraps around the end of the year', () => {
    const m = seasonMatched(training, days('2026-12-25', 14), 14, 28);
    expect(m.indices.map((i) => training[i])).toEqual([...days('2025-01-01', 21), ...days('2025-12-11', 21)]);
    expect(m.months).toEqual([1, 12]);
  });

  it('widens by 30 days each side when the training only grazes the season, and gives up beyond', () => {
    const summer = days('2025-06-01', 60); // to 30 July
    const m = seasonMatched(summer, days('2026-08-10', 14), 14, 28);
    expect(keys(summer, m.indices)).toEqual([34, '2025-06-27', '2025-07-30']);
    const none = seasonMatched(summer, days('2026-11-01', 14), 14, 28);
    expect(none.indices).toEqual([]);
    expect(none.months).toEqual([9, 10, 11, 12]);
  });
});
