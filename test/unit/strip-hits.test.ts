import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { frameNdjson } from '../../src/bronze/frame.js';
import { HitsStripper, mayHoldHits } from '../../src/bronze/strip-hits.js';

const MiB = 1024 * 1024;

function strip(pieces: readonly (string | Buffer)[], cap = MiB) {
  const s = new HitsStripper(cap);
  for (const p of pieces) s.push(Buffer.isBuffer(p) ? p : Buffer.from(p));
  return s.finish();
}

/** A session whose strings are built to confuse a scanner: brackets, quotes, escapes, `hits` keys. */
const tricky = {
  fullVisitorId: 'a"]}[{\\',
  totals: { hits: '3', pageviews: '2' },
  hits: [
    { hitNumber: '1', type: 'PAGE', page: { pagePath: '/a"],"b":[{' }, hits: ['nested'] },
    { hitNumber: '2', type: 'EVENT', customDimensions: [{ index: 1, value: '\\"}]' }] },
    { hitNumber: '3', product: [{ v2ProductName: 'x', customDimensions: [] }] },
  ],
  device: { deviceCategory: 'mobile', note: '"hits":[1,2]' },
  'hits ': [1],
};

describe('HitsStripper', () => {
  it('drops the elements of the top-level hits array and keeps every other byte', () => {
    const line = JSON.stringify(tricky);
    const r = strip([line]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(JSON.parse(r.line.toString('utf8'))).toEqual({ ...tricky, hits: [] });
    expect(r.hits).toBe(3);
    // Byte for byte: the line minus the array's elements.
    const at = line.indexOf('"hits":[') + '"hits":['.length;
    const end = line.indexOf('],"device"');
    expect(r.line.toString('utf8')).toBe(line.slice(0, at) + line.slice(end));
  });

  it('gives the same result however the line is split into pieces', () => {
    const line = Buffer.from(JSON.stringify(tricky).replace(/,/g, ', '));
    const whole = strip([line]);
    for (let cut = 0; cut <= line.length; cut++) {
      expect(strip([line.subarray(0, cut), line.subarray(cut)])).toEqual(whole);
    }
    const bytes = Array.from({ length: line.length }, (_, i) => line.subarray(i, i + 1));
    expect(strip(bytes)).toEqual(whole);
  });

  it('keeps lines without a top-level hits array unchanged, including an event-shape line', () => {
    for (const o of [
      { user_id: 'u1', summary: { num_hits: 4 }, device: 'mobile' },
      { fullVisitorId: '1', totals: { hits: '2' }, hits: null },
      { fullVisitorId: '1', nested: { hits: [1, 2, 3] } },
    ]) {
      const r = strip([JSON.stringify(o)]);
      expect(r.ok && r.line.toString('utf8')).toBe(JSON.stringify(o));
    }
  });

  it('reports the kept size when the fields other than hits exceed the cap', () => {
    const line = JSON.stringify({ big: 'x'.repeat(3000), hits: [{ a: 'y'.repeat(10_000) }] });
    expect(strip([line], 2048)).toEqual({ ok: false, keptBytes: line.length - 10_000 - 8 });
    expect(strip([line], 4096).ok).toBe(true);
  });

  it('leaves a line whose hits array never closes invalid JSON, so the engine rejects it', () => {
    const r = strip(['{"fullVisitorId":"1","hits":[{"a":1},{"b":"]"}']);
    expect(r.ok && r.line.toString('utf8')).toBe('{"fullVisitorId":"1","hits":[');
  });

  it('finds a candidate hits array only where the text holds one', () => {
    expect(mayHoldHits(Buffer.from('{"totals":{"hits":"3"}}'))).toBe(false);
    expect(mayHoldHits(Buffer.from('{"hits": [1]}'))).toBe(true);
    const two = Buffer.from('{"a":1}\n{"hits":[]}');
    expect(mayHoldHits(two, 0, 7)).toBe(false);
    expect(mayHoldHits(two, 8, two.length)).toBe(true);
  });
});

describe('frameNdjson with hits arrays', () => {
  async function frame(chunks: readonly Buffer[], maxLineBytes = 256 * MiB) {
    const lines: [number, string][] = [];
    const r = await frameNdjson(
      Readable.from(chunks),
      { maxLineBytes, maxBlobBytes: 1024 * MiB },
      { line: (n, text) => lines.push([n, text.toString('utf8')]) },
    );
    if (!r.ok) throw new Error(r.rejection.reason);
    return { ...r, lines };
  }
  const hit = (i: number) => ({ hitNumber: String(i), type: 'PAGE', page: { pagePath: `/p/${i}` } });
  const session = (id: string, hits: number) =>
    JSON.stringify({
      fullVisitorId: id,
      totals: { hits: String(hits) },
      hits: Array.from({ length: hits }, (_, i) => hit(i)),
    });

  it('stages a long session without its hits whether it arrives whole or in small chunks', async () => {
    const body = Buffer.from(`${session('1', 3000)}\n${session('2', 2)}\n${session('3', 0)}\n`);
    expect(body.length).toBeGreaterThan(64 * 1024);
    const want = [
      [1, JSON.stringify({ fullVisitorId: '1', totals: { hits: '3000' }, hits: [] })],
      [2, JSON.stringify({ fullVisitorId: '2', totals: { hits: '2' }, hits: [] })],
      [3, JSON.stringify({ fullVisitorId: '3', totals: { hits: '0' }, hits: [] })],
    ];
    const whole = await frame([body]);
    expect(whole.lines).toEqual(want);
    const chunks = Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) =>
      body.subarray(i * 1000, (i + 1) * 1000),
    );
    const streamed = await frame(chunks);
    expect(streamed.lines).toEqual(want);
    expect(streamed).toMatchObject({ records: 3, staged: 3, rejections: [] });
  });

  it('quarantines as line_too_long a line over max_line_bytes, or whose other fields exceed 4 MiB', async () => {
    const big = JSON.stringify({ fullVisitorId: '9', x: 'y'.repeat(5 * MiB), hits: [] });
    const r = await frame([Buffer.from(`${session('1', 500)}\n${big}\n${session('2', 5)}\n`)], 8 * MiB);
    expect(r.lines.map(([n]) => n)).toEqual([1, 3]);
    expect(r.rejections).toHaveLength(1);
    expect(r.rejections[0]).toMatchObject({ line: 2, reason_code: 'line_too_long' });
    expect(r.rejections[0]!.reason).toMatch(/over the 4194304-byte limit for a session's other fields/);
    expect(r.rejections[0]!.raw).toHaveLength(4096);

    const small = await frame([Buffer.from(`${session('1', 2000)}\n${session('2', 1)}\n`)], 64 * 1024);
    expect(small.rejections[0]!.reason).toMatch(
      /^line 1 is \d+ bytes, over the 65536-byte limit \(max_line_bytes\)/,
    );
    expect(small.lines.map(([n]) => n)).toEqual([2]);
  });
});
