import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { gaLine, tempLake } from '../helpers/lake.js';

// The CLI on a lake whose Bronze holds every kind of blob that once wedged the pipeline (issue 13),
// next to good ones. Big inputs are generated streamed, never held in memory.
const MiB = 1024 * 1024;
const LIMIT = 512 * MiB;

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempLake()));
afterAll(() => cleanup());

const bronzePath = (key: string): string => join(dir, 'bronze', key);

async function write(key: string, body: Buffer | string): Promise<void> {
  await mkdir(dirname(bronzePath(key)), { recursive: true });
  await writeFile(bronzePath(key), body);
}

/** A `bytes`-long line of `y` (no newline), written in 1 MiB chunks, optionally through gzip. */
async function writeLongLine(key: string, bytes: number, gzip: boolean): Promise<void> {
  await mkdir(dirname(bronzePath(key)), { recursive: true });
  const chunk = Buffer.alloc(MiB, 'y');
  const source = Readable.from(
    (function* () {
      for (let left = bytes; left > 0; left -= MiB) yield chunk.subarray(0, Math.min(left, MiB));
    })(),
  );
  const out = createWriteStream(bronzePath(key));
  await (gzip ? pipeline(source, createGzip({ level: 1 }), out) : pipeline(source, out));
}

interface Tally {
  key: string;
  records: number;
  silver: number;
  rejected: number;
  duplicates: number;
}
interface Report {
  totals: { records_read: number; silver: number; rejected: number; duplicates: number; balanced: boolean };
  rejected_by_reason: Record<string, number>;
  blobs: Tally[];
}

async function quarantined(run: string, key: string): Promise<{ reason_code: string; reason: string }[]> {
  const text = await readFile(join(dir, 'quarantine', run, `${key}.ndjson`), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { reason_code: string; reason: string });
}

describe('dp-pipeline run on hostile Bronze blobs', () => {
  const hostile: Record<string, string> = {
    'hostile/empty.ndjson': 'empty_blob',
    'hostile/blank.ndjson': 'empty_blob',
    'hostile/nul.ndjson': 'control_character',
    'hostile/line-300mb.ndjson': 'line_too_long',
    'hostile/line-300mb.ndjson.gz': 'line_too_long',
    'hostile/bomb.ndjson.gz': 'blob_too_large',
    'hostile/truncated.ndjson.gz': 'corrupt_gzip',
    'hostile/broken.json': 'not_json',
  };
  let config: string;
  let first: ReturnType<typeof runCli>;

  beforeAll(async () => {
    config = join(dir, 'config.json');
    const defaults = JSON.parse(await readFile('config/default.json', 'utf8')) as Record<string, unknown>;
    await writeFile(config, JSON.stringify({ ...defaults, $schema: undefined, max_blob_bytes: LIMIT }));

    await write('hostile/empty.ndjson', '');
    await write('hostile/blank.ndjson', '  \n\t\n\n');
    await write('hostile/nul.ndjson', '{"fullVisitorId":"\0"}\n');
    await writeLongLine('hostile/line-300mb.ndjson', 300 * MiB, false);
    await writeLongLine('hostile/line-300mb.ndjson.gz', 300 * MiB, true);
    // 100 good lines, then 275 gzip members of 16 MiB each: 4.3 GiB once inflated, 4.5 MB stored.
    const spaces = gzipSync(Buffer.alloc(16 * MiB, 0x20));
    const good = Array.from({ length: 100 }, (_, i) =>
      gaLine({ user: `b${i}`, visit: String(1490000000 + i) }),
    );
    await write(
      'hostile/bomb.ndjson.gz',
      Buffer.concat([gzipSync(good.join('\n') + '\n'), ...Array.from({ length: 275 }, () => spaces)]),
    );
    const day = await readFile('examples/ga360/bronze/2016/08/05/ga_sessions_20160805.ndjson.gz');
    await write('hostile/truncated.ndjson.gz', day.subarray(0, Math.floor(day.length / 2)));
    await write('hostile/broken.json', '[' + good.slice(0, 3).join(',') + ', {"visitId":');
    for (const d of ['01', '02']) {
      await write(
        `ga/${d}.ndjson.gz`,
        await readFile(`examples/ga360/bronze/2016/08/${d}/ga_sessions_201608${d}.ndjson.gz`),
      );
    }
    // A pretty-printed JSON array of records: streamed item by item.
    const items = Array.from({ length: 50 }, (_, i) =>
      JSON.parse(gaLine({ user: `j${i}`, visit: String(1491000000 + i) })),
    );
    await write('events/array.json', JSON.stringify(items, null, 2));

    first = runCli(['run', '--lake', dir, '--config', config, '--json']);
  }, 120_000);

  it('succeeds, accounting for every hostile blob in quarantine with its reason', async () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as Report & { run_id: string };
    expect(report.totals.balanced).toBe(true);
    const { records_read, silver, rejected, duplicates } = report.totals;
    expect(records_read).toBe(silver + rejected + duplicates);
    const byKey = Object.fromEntries(report.blobs.map((b) => [b.key, b]));
    for (const [key, code] of Object.entries(hostile)) {
      const tally = byKey[key]!;
      expect(tally.records, key).toBe(tally.silver + tally.rejected + tally.duplicates);
      const reasons = await quarantined(report.run_id, key);
      expect(reasons.at(-1)!.reason_code, key).toBe(code);
      if (key !== 'hostile/truncated.ndjson.gz') {
        expect(tally, key).toMatchObject({ records: 1, rejected: 1, silver: 0 });
      }
    }
    // The truncated day keeps the sessions before the damage.
    expect(byKey['hostile/truncated.ndjson.gz']!.silver).toBeGreaterThan(100);
    expect((await quarantined(report.run_id, 'hostile/bomb.ndjson.gz'))[0]!.reason).toContain(
      `more than ${LIMIT} bytes (max_blob_bytes)`,
    );
    expect(byKey['events/array.json']).toMatchObject({ records: 50, silver: 50, rejected: 0 });
    expect(byKey['ga/01.ndjson.gz']!.silver).toBeGreaterThan(1000);
    expect(report.rejected_by_reason).toMatchObject({
      empty_blob: 2,
      control_character: 1,
      line_too_long: 2,
      blob_too_large: 1,
      corrupt_gzip: 1,
      not_json: 1,
    });
  });

  it('leaves nothing pending, so the next run succeeds, and a later good blob is still ingested', async () => {
    const second = runCli(['run', '--lake', dir, '--config', config, '--json']);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as Report).totals.records_read).toBe(0);

    await write(
      'ga/03.ndjson.gz',
      await readFile('examples/ga360/bronze/2016/08/03/ga_sessions_20160803.ndjson.gz'),
    );
    const third = runCli(['run', '--lake', dir, '--config', config, '--json']);
    expect(third.code, third.stderr).toBe(0);
    const report = JSON.parse(third.stdout) as Report;
    expect(report.blobs.map((b) => b.key)).toEqual(['ga/03.ndjson.gz']);
    expect(report.totals.silver).toBeGreaterThan(1000);
  });
});
