import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STAGE_SEPARATOR, stageBlobs } from '../../src/bronze/stage.js';
import type { FsLake, ObjectInfo } from '../../src/storage/index.js';
import { gaLine, tempLake } from '../helpers/lake.js';

const MiB = 1024 * 1024;

let lake: FsLake;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, dir, cleanup } = await tempLake()));
afterEach(() => cleanup());

async function bronze(files: Record<string, Buffer | string>): Promise<ObjectInfo[]> {
  for (const [key, body] of Object.entries(files)) await lake.objects('bronze').write(key, body);
  const infos: ObjectInfo[] = [];
  for await (const info of lake.objects('bronze').list('')) infos.push(info);
  return infos.sort((a, b) => a.key.localeCompare(b.key));
}

async function stage(blobs: ObjectInfo[], limits = { maxLineBytes: MiB, maxBlobBytes: 2 * MiB }) {
  const out = join(dir, 'stage');
  await mkdir(out, { recursive: true });
  const staged = await stageBlobs(lake.objects('bronze'), blobs, out, limits);
  return { staged, files: (await readdir(out)).sort() };
}

describe('stageBlobs', () => {
  it('keeps no staged line of a blob rejected whole, and stages its neighbours', async () => {
    const lines = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => gaLine({ visit: String(1470000000 + from + i) })).join('\n') + '\n';
    // Gzip members read as one stream: 0.1 MiB of lines, then a member inflating to 16 MiB.
    const bomb = Buffer.concat([
      gzipSync(lines(0, 300)),
      gzipSync(Buffer.from(lines(300, 1).repeat((16 * MiB) / 400))),
    ]);
    const brokenArray = '[' + Array.from({ length: 50 }, () => gaLine({})).join(',') + ', {"visitId": ';
    const blobs = await bronze({
      'a-good.ndjson': lines(0, 3),
      'b-bomb.ndjson.gz': bomb,
      'c-broken.json': brokenArray,
      'd-good.json': `[${gaLine({})},\n${gaLine({ visit: '1470000001' })}]`,
    });
    const { staged, files } = await stage(blobs);

    expect(
      staged.map((s) => [s.blob.key, s.records, s.staged, s.rejections.map((r) => r.reason_code)]),
    ).toEqual([
      ['a-good.ndjson', 3, 3, []],
      ['b-bomb.ndjson.gz', 1, 0, ['blob_too_large']],
      ['c-broken.json', 1, 0, ['not_json']],
      ['d-good.json', 2, 2, []],
    ]);
    expect(staged[1]!.bytes).toBeLessThanOrEqual(2 * MiB + 64 * 1024);
    expect(staged[1]!.rejections[0]!.reason).toContain(`more than ${2 * MiB} bytes (max_blob_bytes)`);
    expect(staged.map((s) => s.file !== null)).toEqual([true, false, false, true]);
    expect(files).toEqual(['0.txt', '3.txt']);
    const json = (await readFile(join(dir, 'stage', '3.txt'), 'utf8')).split('\n');
    expect(json[0]).toBe(['3', '1', gaLine({})].join(STAGE_SEPARATOR));
    expect(json[1]).toBe(['3', '2', gaLine({ visit: '1470000001' })].join(STAGE_SEPARATOR));
  });

  it('stages nothing for blobs with nothing to stage and accounts for each as one record', async () => {
    const blobs = await bronze({
      'empty.ndjson': '',
      'blank.ndjson': '  \n\t\n',
      'nul.ndjson': '{"a":"\0"}',
      'empty.json': '',
      'empty-array.json': '[ ]',
    });
    const { staged, files } = await stage(blobs);
    expect(files).toEqual([]);
    expect(staged.map((s) => [s.blob.key, s.records, s.rejections.map((r) => r.reason_code)])).toEqual([
      ['blank.ndjson', 1, ['empty_blob']],
      ['empty-array.json', 1, ['empty_blob']],
      ['empty.json', 1, ['empty_blob']],
      ['empty.ndjson', 1, ['empty_blob']],
      ['nul.ndjson', 1, ['control_character']],
    ]);
  });
});
