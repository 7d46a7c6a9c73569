import { describe, expect, it } from 'vitest';
import { confirmShift } from './confirm.ts';
import { median } from './robust.ts';

describe('confirmation of an alarm', () => {
  const level = 100;
  it('waits for enough points, confirms a 30 % step down, dismisses a single spike', () => {
    const fc = Array(6).fill(level);
    expect(confirmShift([70, 71], [level, level], 'down').status).toBe('pending');
    // differences -30, -28, -31, -29, -30, -32: median -30 on a level of 100
    const step = confirmShift([70, 72, 69, 71, 70, 68], fc, 'down');
    expect(step.status).toBe('confirmed');
    expect(step.status !== 'pending' && step.relativeShift).toBeCloseTo(-0.3, 12);
    expect(confirmShift([400, 101, 99, 100, 102, 98], fc, 'up').status).toBe('dismissed');
    // a shift on the other side than the alarm is no confirmation
    expect(confirmShift([130, 130, 130, 130, 130, 130], fc, 'down').status).toBe('dismissed');
  });
});

describe('median', () => {
  it('is the middle value (mean of the two middle ones), missing values left out', () => {
    expect(median([1, 2, 3, 4, 1000])).toBe(3);
    expect(median([4, Number.NaN, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
