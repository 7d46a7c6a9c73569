import { describe, expect, it } from 'vitest';
import { logDestination, prettyLogLine } from './log.ts';

describe('readable log lines', () => {
  const line = JSON.stringify({ level: 40, time: new Date(2026, 0, 12, 9, 5, 7).getTime(), pid: 1, hostname: 'h', msg: 'job ticks passed', missed: 3, jobs: { a: 3 }, note: 'two words' });

  it('shows local time, level, message and fields, without pino bookkeeping', () => {
    expect(prettyLogLine(line)).toBe('09:05:07 WARN  job ticks passed  missed=3 jobs={"a":3} note="two words"');
    expect(prettyLogLine(line, true)).toBe('\x1b[33m09:05:07 WARN  job ticks passed  missed=3 jobs={"a":3} note="two words"\x1b[0m');
    expect(prettyLogLine('not json')).toBe('not json');
  });

  it('is the default on a terminal only', () => {
    const written: string[] = [];
    const out = Object.assign({ write: (s: string) => void written.push(s) }, { isTTY: true }) as unknown as NodeJS.WritableStream & { isTTY: boolean };
    logDestination('auto', out)!.write(line + '\n');
    expect(written).toEqual(['\x1b[33m09:05:07 WARN  job ticks passed  missed=3 jobs={"a":3} note="two words"\x1b[0m\n']);
    expect(logDestination('auto', Object.assign(out, { isTTY: false }))).toBeUndefined();
    expect(logDestination('json', Object.assign(out, { isTTY: true }))).toBeUndefined();
    expect(logDestination('pretty', Object.assign(out, { isTTY: false }))).toBeDefined();
  });
});
