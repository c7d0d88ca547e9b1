import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { frameNdjson, readJsonBlob } from '../../src/bronze/frame.js';

async function frame(bytes: Buffer, max = 1024) {
  const lines: [number, string][] = [];
  const result = await frameNdjson(Readable.from([bytes]), max, {
    line: (n, text) => lines.push([n, text.toString('utf8')]),
  });
  return { ...result, lines };
}

describe('frameNdjson', () => {
  it('splits lines, numbering them as in the file and skipping blank lines', async () => {
    const r = await frame(Buffer.from('{"a":1}\r\n\n{"b":2}\n{"c":3}'));
    expect(r.lines).toEqual([
      [1, '{"a":1}'],
      [3, '{"b":2}'],
      [4, '{"c":3}'],
    ]);
    expect(r.records).toBe(3);
  });

  it('detects gzip from the bytes and splits lines across chunk boundaries', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `{"i":${i}}`).join('\n') + '\n';
    const gz = gzipSync(text);
    const chunks = [gz.subarray(0, 100), gz.subarray(100, 101), gz.subarray(101)];
    const lines: string[] = [];
    const r = await frameNdjson(Readable.from(chunks), 1024, { line: (_n, t) => lines.push(t.toString()) });
    expect(r.staged).toBe(5000);
    expect(lines[4999]).toBe('{"i":4999}');
  });

  it('rejects an oversize line without buffering it and keeps the lines around it', async () => {
    const big = '{"x":"' + 'y'.repeat(10 * 1024 * 1024) + '"}';
    const r = await frame(Buffer.from(`{"a":1}\n${big}\n{"b":2}\n`), 1024 * 1024);
    expect(r.lines.map((l) => l[0])).toEqual([1, 3]);
    expect(r.rejections).toHaveLength(1);
    expect(r.rejections[0]).toMatchObject({ line: 2, reason_code: 'line_too_long' });
    expect(r.rejections[0]!.raw!.length).toBeLessThanOrEqual(4096);
  });

  it('keeps the lines before a truncated gzip stream and rejects the unreadable rest as one record', async () => {
    const text = Array.from({ length: 20000 }, (_, i) => `{"i":${i},"pad":"${'p'.repeat(40)}"}`).join('\n');
    const gz = gzipSync(text);
    const r = await frame(gz.subarray(0, Math.floor(gz.length / 2)));
    expect(r.staged).toBeGreaterThan(0);
    expect(r.staged).toBeLessThan(20000);
    const last = r.rejections.at(-1)!;
    expect(last.reason_code).toBe('corrupt_gzip');
    expect(last.reason).toMatch(/corrupt or truncated after line \d+/);
    expect(r.records).toBe(r.staged + r.rejections.length);
  });

  it('reports an empty blob as one rejected record', async () => {
    const r = await frame(Buffer.alloc(0));
    expect(r.rejections).toEqual([expect.objectContaining({ reason_code: 'empty_blob', line: null })]);
    expect(r.records).toBe(1);
  });

  it('rejects invalid UTF-8 and raw control characters', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n{"b":"\x01"}\n{"ok":1}\n'),
    ]);
    const r = await frame(bad);
    expect(r.rejections.map((x) => x.reason_code)).toEqual(['invalid_utf8', 'control_character']);
    expect(r.lines).toEqual([[3, '{"ok":1}']]);
  });
});

describe('readJsonBlob', () => {
  const read = (text: string | Buffer) => readJsonBlob(Readable.from([Buffer.from(text)]), 1 << 20);

  it('reads an array of records, or one record, gzipped or not', async () => {
    expect(await read('[{"a":1},{"b":2}]')).toMatchObject({ ok: true, records: ['{"a":1}', '{"b":2}'] });
    expect(await read(gzipSync('{"a":1}'))).toMatchObject({ ok: true, records: ['{"a":1}'] });
  });

  it('keeps each record as written, one line each: big numbers keep their digits, nesting and strings stay whole', async () => {
    const text =
      '\ufeff [\n {"fullVisitorId": 895954260133011192, "x": [1, {"y": "a,]}\\"b"}]},\r\n\t"s", 1e400 ,null]';
    expect(await read(text)).toEqual({
      ok: true,
      bytes: Buffer.byteLength(text),
      records: ['{"fullVisitorId": 895954260133011192, "x": [1, {"y": "a,]}\\"b"}]}', '"s"', '1e400', 'null'],
    });
    expect(await read('{\n  "fullVisitorId": 895954260133011192\n}\n')).toMatchObject({
      records: ['{   "fullVisitorId": 895954260133011192 }'],
    });
  });

  it('turns an empty array, invalid JSON and an oversize blob into one clear rejection', async () => {
    expect(await read('[]')).toMatchObject({ ok: false, rejection: { reason_code: 'empty_blob' } });
    expect(await read('[{"a":1},')).toMatchObject({ ok: false, rejection: { reason_code: 'not_json' } });
    const big = await readJsonBlob(Readable.from([Buffer.alloc(2048, 0x20)]), 1024);
    expect(big).toMatchObject({ ok: false, rejection: { reason_code: 'json_too_large' } });
  });
});
