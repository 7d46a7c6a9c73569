import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isPlainCsv, numberedRecords, plainRecords, type NumberedRecord } from './records.ts';
import { csvParser } from './source.ts';

const all = async (batches: AsyncIterable<NumberedRecord[]>) => {
  const out: NumberedRecord[] = [];
  for await (const b of batches) out.push(...b);
  return out;
};

const viaCsvParse = (text: string) => {
  const parser = csvParser();
  Readable.from([Buffer.from(text)]).pipe(parser);
  return all(numberedRecords(parser));
};

/** A small deterministic generator, so a failure names its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const PIECES = ['a', 'sub-1', '2026-01-01T00:00:00Z', '12.5', '', ' ', 'é', '∑', '\u{1F600}', ',', ',', '\n', '\n', '\n\n', '\uFEFF', '\t', 'x y'];

function plainText(r: () => number): string {
  const n = Math.floor(r() * 60);
  let t = '';
  for (let i = 0; i < n; i++) t += PIECES[Math.floor(r() * PIECES.length)];
  return t;
}

function chunks(text: string, r: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(r() * 7);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

describe('plainRecords', () => {
  it('gives exactly what csv-parse gives on texts without quotes or carriage returns, whatever the chunking', async () => {
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const text = plainText(r);
      expect(isPlainCsv(Buffer.from(text))).toBe(true);
      const expected = await viaCsvParse(text);
      expect({ seed, records: await all(plainRecords(chunks(text, r), 1 << 20, 3)) }).toEqual({ seed, records: expected });
    }
  });

  it('counts empty lines, and refuses a line over the limit as soon as it is seen', async () => {
    expect(await all(plainRecords(['h,v\n\n', 'a,1\nb', ',2'], 100))).toEqual([
      { record: ['h', 'v'], line: 1 },
      { record: ['a', '1'], line: 3 },
      { record: ['b', '2'], line: 4 },
    ]);
    function* endless() {
      yield 'h\nok\n';
      for (;;) yield 'x'.repeat(64);
    }
    await expect(all(plainRecords(endless(), 1000))).rejects.toMatchObject({ code: 'CSV_MAX_RECORD_SIZE', lines: 3 });
  });

  it('is only used on texts without a quote or a carriage return', () => {
    expect(isPlainCsv(Buffer.from('a,b\n1,2\n'))).toBe(true);
    expect(isPlainCsv(Buffer.from('a,"b"\n'))).toBe(false);
    expect(isPlainCsv(Buffer.from('a,b\r\n'))).toBe(false);
  });
});
