import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { frameNdjson, type FrameResult } from '../../src/bronze/frame.js';
import { frameJson } from '../../src/bronze/json-items.js';

const MiB = 1024 * 1024;

/** The framed blob, which must not have been rejected whole. */
function accepted(r: FrameResult): Extract<FrameResult, { ok: true }> {
  if (!r.ok) throw new Error(`rejected whole: ${r.rejection.reason}`);
  return r;
}

async function frame(bytes: Buffer, max = 1024) {
  const lines: [number, string][] = [];
  const result = await frameNdjson(
    Readable.from([bytes]),
    { maxLineBytes: max, maxBlobBytes: 64 * MiB },
    {
      line: (n, text) => lines.push([n, text.toString('utf8')]),
    },
  );
  return { ...accepted(result), lines };
}

/** `total` bytes of `fill`, generated in 1 MiB chunks (never held whole), optionally gzipped. */
function generated(total: number, fill: string, gzip = false): Readable {
  const chunk = Buffer.alloc(MiB, fill);
  const plain = Readable.from(
    (function* () {
      for (let left = total; left > 0; left -= chunk.length)
        yield chunk.subarray(0, Math.min(left, chunk.length));
    })(),
  );
  return gzip ? plain.pipe(createGzip({ level: 1 })) : plain;
}

/**
 * A gzip bomb: `members` concatenated gzip members of `member` each (gunzip reads them as one
 * stream), after a first member holding `head`. Tiny to build and store, huge once inflated.
 * `pulled` counts the compressed members the reader actually consumed.
 */
function bomb(head: string, member: Buffer, members: number): { input: Readable; pulled: () => number } {
  const gz = gzipSync(member);
  let pulled = 0;
  const input = Readable.from(
    (function* () {
      yield gzipSync(head);
      for (let i = 0; i < members; i++) {
        pulled++;
        yield gz;
      }
    })(),
  );
  return { input, pulled: () => pulled };
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
    const r = accepted(
      await frameNdjson(
        Readable.from(chunks),
        { maxLineBytes: 1024, maxBlobBytes: MiB },
        {
          line: (_n, t) => lines.push(t.toString()),
        },
      ),
    );
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

  it('reports an empty blob, and one of only blank lines, as one empty_blob record', async () => {
    for (const text of ['', ' \n\t\r\n  \n\n']) {
      const r = await frame(Buffer.from(text));
      expect(r.rejections).toEqual([expect.objectContaining({ reason_code: 'empty_blob', line: null })]);
      expect(r.records).toBe(1);
      expect(r.lines).toEqual([]);
    }
  });

  it('rejects a one-line blob holding a NUL byte as one control_character record', async () => {
    const r = await frame(Buffer.from('{"a":"\\u0000 is fine escaped, \0 is not"}'));
    expect(r.rejections[0]!.reason).toBe('not valid JSON: raw control character 0x00 at byte 31');
    expect(r.rejections).toEqual([expect.objectContaining({ line: 1, reason_code: 'control_character' })]);
    expect(r).toMatchObject({ records: 1, staged: 0, lines: [] });
  });

  it('rejects a 300 MB single line (plain and gzip) reading it in chunks, keeping 4 KiB of it', async () => {
    for (const gzip of [false, true]) {
      const lines: number[] = [];
      const r = accepted(
        await frameNdjson(
          generated(300 * MiB, 'y', gzip),
          { maxLineBytes: MiB, maxBlobBytes: 1024 * MiB },
          {
            line: (n) => lines.push(n),
          },
        ),
      );
      expect(lines).toEqual([]);
      expect(r).toMatchObject({ records: 1, staged: 0, bytes: 300 * MiB });
      expect(r.rejections).toEqual([
        expect.objectContaining({
          line: 1,
          reason_code: 'line_too_long',
          reason: expect.stringContaining(`is ${300 * MiB} bytes`),
        }),
      ]);
      expect(r.rejections[0]!.raw).toHaveLength(4096);
    }
  }, 30_000);

  it('stops inflating a gzip bomb at max_blob_bytes and rejects the blob whole, naming the limit', async () => {
    // 1 GiB once inflated (64 members of 16 MiB of lines), from about 1 MiB of gzip.
    const line = '{"fullVisitorId":"1","visitId":"2"}\n';
    const member = Buffer.from(line.repeat(Math.floor((16 * MiB) / line.length)));
    const { input, pulled } = bomb(line.repeat(10), member, 64);
    const staged: number[] = [];
    const r = await frameNdjson(
      input,
      { maxLineBytes: MiB, maxBlobBytes: 8 * MiB },
      { line: (n) => staged.push(n) },
    );
    expect(r).toMatchObject({
      ok: false,
      rejection: {
        line: null,
        reason_code: 'blob_too_large',
        reason: expect.stringContaining(`more than ${8 * MiB} bytes (max_blob_bytes)`),
      },
    });
    // Lines before the limit reached the sink: the caller discards them (see the stage tests).
    expect(staged.length).toBeGreaterThan(0);
    expect(r.bytes).toBeGreaterThan(8 * MiB);
    expect(r.bytes).toBeLessThanOrEqual(8 * MiB + 64 * 1024);
    // The inflation stopped at the limit: the second member covers it, the rest was never read.
    expect(pulled()).toBeLessThan(16); // stream buffers read a few members ahead, never all 64
  });

  it('accepts a blob of exactly max_blob_bytes', async () => {
    const line = '{"i":1}\n';
    const text = Buffer.from(line.repeat(1024));
    const r = await frameNdjson(
      Readable.from([text]),
      { maxLineBytes: 1024, maxBlobBytes: text.length },
      {
        line: () => undefined,
      },
    );
    expect(r).toMatchObject({ ok: true, staged: 1024, bytes: text.length });
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

describe('frameJson', () => {
  async function json(
    input: Buffer | Buffer[] | Readable,
    limits = { maxLineBytes: 1024, maxBlobBytes: 64 * MiB },
  ) {
    const items: [number, string][] = [];
    const source = input instanceof Readable ? input : Readable.from(Array.isArray(input) ? input : [input]);
    const r = await frameJson(source, limits, { line: (n, text) => items.push([n, text.toString('utf8')]) });
    return { r, items };
  }
  /** `bytes` cut into `size`-byte chunks, so that every token straddles a chunk boundary somewhere. */
  const chunked = (bytes: Buffer, size: number): Buffer[] =>
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
      bytes.subarray(i * size, (i + 1) * size),
    );

  it('stages each array item as one line, numbered by position, across any chunking', async () => {
    const records = [
      { a: 1, s: 'with , comma and ] bracket and } brace' },
      { b: 'escaped \\" quote and \\\\ backslash, then [', n: [1, [2, { c: null }]] },
      { fullVisitorId: 'é ü 日本', visitId: '1' },
    ];
    const text = Buffer.from('\ufeff  [' + records.map((r) => JSON.stringify(r)).join(' ,\t') + ']  \n');
    for (const size of [1, 3, 7, 64, text.length]) {
      const { r, items } = await json(chunked(text, size));
      expect(accepted(r)).toMatchObject({ records: 3, staged: 3, rejections: [] });
      expect(items.map(([n]) => n)).toEqual([1, 2, 3]);
      expect(items.map(([, t]) => JSON.parse(t))).toEqual(records);
    }
  });

  it('keeps big integers as written (no float rounding) and pretty-printed items as one line each', async () => {
    const text =
      '[\n  {\n    "fullVisitorId": 895954260133011192,\r\n    "visitId": "1"\n  },\n  {"x": [\n 1\n ]}\n]\n';
    const { r, items } = await json(Buffer.from(text));
    expect(accepted(r).staged).toBe(2);
    expect(items[0]![1]).not.toMatch(/[\r\n]/);
    expect(items[0]![1]).toContain('"fullVisitorId": 895954260133011192,');
    expect(JSON.parse(items[1]![1])).toEqual({ x: [1] });
  });

  it('reads a one-object blob (plain or gzip) as one record', async () => {
    for (const body of [Buffer.from('{"a": {"b": [1, 2]}}\n'), gzipSync('{"a": {"b": [1, 2]}}')]) {
      const { r, items } = await json(body);
      expect(accepted(r)).toMatchObject({ records: 1, staged: 1 });
      expect(JSON.parse(items[0]![1])).toEqual({ a: { b: [1, 2] } });
    }
  });

  it('turns an empty blob, whitespace and an empty array into one empty_blob record', async () => {
    for (const [text, reason] of [
      ['', 'blob holds no records (empty)'],
      [' \n\t ', 'blob holds no records (empty)'],
      [' [ \n ] ', 'JSON array is empty'],
    ] as const) {
      const { r, items } = await json(Buffer.from(text));
      expect(r).toMatchObject({ ok: false, rejection: { reason_code: 'empty_blob', reason, line: null } });
      expect(items).toEqual([]);
    }
  });

  it('rejects a blob that is not one JSON array as a whole, as one not_json record with its start', async () => {
    const cases: [string, RegExp][] = [
      ['[{"a":1},', /the blob ends before the array is closed/],
      ['[{"a":1}, {"b":2}', /the blob ends before the array is closed/],
      ['[{"a":1}] {"b":2}', /content after the closing \], at byte 11/],
      ['[{"a":1},,{"b":2}]', /a comma with no value before it, at byte 10/],
      ['[{"a":1},]', /a comma with no value after it/],
      ['[{"a":1}}', /a \} that closes nothing/],
      ['[{"a":"unterminated}]', /the blob ends before the array is closed/],
    ];
    for (const [text, reason] of cases) {
      const { r } = await json(Buffer.from(text));
      expect(r, text).toMatchObject({
        ok: false,
        rejection: { reason_code: 'not_json', line: null, raw: text },
      });
      expect(!r.ok && r.rejection.reason, text).toMatch(reason);
      expect(!r.ok && r.rejection.reason, text).toMatch(
        /^blob is not valid JSON \(.*\); a \.json blob must hold one array or object$/,
      );
    }
  });

  it('leaves an item that is valid in shape but not JSON to the parser, as its own record', async () => {
    const { r, items } = await json(Buffer.from('[{"a":1} {"b":2}, {"c":tru}, {"d":4}]'));
    expect(accepted(r)).toMatchObject({ records: 3, staged: 3 });
    expect(items.map(([n, t]) => [n, t])).toEqual([
      [1, '{"a":1} {"b":2}'],
      [2, '{"c":tru}'],
      [3, '{"d":4}'],
    ]);
  });

  it('rejects alone an item with a raw control character, invalid UTF-8 or over max_line_bytes', async () => {
    const body = Buffer.concat([
      Buffer.from('[{"ok":1}, {"s":"line\nbreak"}, {"s":"escaped \\u0000, raw \0"}, {"s":"'),
      Buffer.from([0xff]),
      Buffer.from('"}, {"big":"' + 'x'.repeat(5000) + '"}, {"ok":2}]'),
    ]);
    const { r, items } = await json(chunked(body, 100));
    const ok = accepted(r);
    expect(items.map(([n]) => n)).toEqual([1, 6]);
    expect(ok.rejections.map((x) => [x.line, x.reason_code])).toEqual([
      [2, 'control_character'],
      [3, 'control_character'],
      [4, 'invalid_utf8'],
      [5, 'line_too_long'],
    ]);
    expect(ok.rejections[0]!.reason).toBe('not valid JSON: raw control character 0x0a at byte 11');
    expect(ok.rejections[1]!.reason).toBe('not valid JSON: raw control character 0x00 at byte 27');
    expect(ok.rejections[3]!.reason).toMatch(/^item 5 is 5010 bytes, over the 1024-byte limit/);
    expect(ok.rejections[3]!.raw).toHaveLength(4096);
    expect(ok.records).toBe(6);
  });

  it('streams a large array holding one item at a time', async () => {
    // 40 MiB of items through 64 KiB chunks; the limit on an item (1 KiB) bounds what is held.
    const item = JSON.stringify({ fullVisitorId: '1', visitId: '2', pad: 'p'.repeat(200) });
    const count = Math.floor((40 * MiB) / (item.length + 1));
    const input = Readable.from(
      (function* () {
        yield Buffer.from('[');
        const block = Buffer.from((item + ',').repeat(255));
        let left = count - 1;
        for (; left >= 255; left -= 255) yield block;
        yield Buffer.from((item + ',').repeat(left) + item + ']');
      })(),
    );
    let seen = 0;
    const r = await frameJson(
      input,
      { maxLineBytes: 1024, maxBlobBytes: 64 * MiB },
      {
        line: (n, text) => {
          seen++;
          if (n === count) expect(text.toString()).toBe(item);
        },
      },
    );
    expect(accepted(r)).toMatchObject({ records: count, staged: count, rejections: [] });
    expect(seen).toBe(count);
  });

  it('rejects a corrupt gzip, or a blob past max_blob_bytes, whole', async () => {
    const items =
      '[' + Array.from({ length: 20000 }, (_, i) => `{"i":${i},"p":"${'p'.repeat(40)}"}`).join(',') + ']';
    const gz = gzipSync(items);
    const truncated = await json(gz.subarray(0, Math.floor(gz.length / 2)));
    expect(truncated.r).toMatchObject({ ok: false, rejection: { reason_code: 'corrupt_gzip', line: null } });
    const { input, pulled } = bomb('[' + '{"a":1},'.repeat(100), Buffer.alloc(16 * MiB, 0x20), 64);
    const r = await frameJson(
      input,
      { maxLineBytes: 1024, maxBlobBytes: 4 * MiB },
      { line: () => undefined },
    );
    expect(r).toMatchObject({ ok: false, rejection: { reason_code: 'blob_too_large' } });
    expect(pulled()).toBeLessThan(16); // stream buffers read a few members ahead, never all 64
  });
});
