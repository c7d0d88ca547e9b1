import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Stage from '../../src/bronze/stage.js';
import type * as Pool from '../../src/bronze/frame-pool.js';
import type { FsLake, ObjectInfo } from '../../src/storage/index.js';
import { gaLine, tempLake } from '../helpers/lake.js';

// Worker threads run compiled JavaScript: these tests drive the built modules (`npm test` builds
// first), whose pool finds `dist/src/bronze/frame-worker.js`. Under vitest the sources have no
// worker program and frame on the main thread, which is what the workers are compared with.
const built = <T>(path: string): Promise<T> =>
  import(pathToFileURL(resolve('dist/src/bronze', path)).href) as Promise<T>;

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

async function stageWith(workers: number, blobs: ObjectInfo[]) {
  const { stageBlobs } = await built<typeof Stage>('stage.js');
  const out = join(dir, `stage-${workers}`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const staged = await stageBlobs(lake.objects('bronze'), blobs, out, {
    maxLineBytes: 64 * 1024,
    maxBlobBytes: 2 * MiB,
    workers,
  });
  const files = (await readdir(out)).sort();
  const contents = await Promise.all(files.map((f) => readFile(join(out, f), 'utf8')));
  return {
    staged: staged.map(({ file, ...s }) => ({ ...s, file: file?.replace(out, '<out>') ?? null })),
    files: Object.fromEntries(files.map((f, i) => [f, contents[i]])),
  };
}

describe('framing on worker threads', () => {
  it('starts workers from the built modules', async () => {
    const { FramePool } = await built<typeof Pool>('frame-pool.js');
    const pool = FramePool.start(2);
    expect(pool?.size).toBe(2);
    await pool?.close();
    expect(FramePool.start(0)).toBeUndefined();
  });

  it('stages and rejects exactly what the main thread does, blob by blob', async () => {
    const lines = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => gaLine({ visit: String(1470000000 + from + i) })).join('\n') + '\n';
    const good = gzipSync(lines(200));
    const blobs = await bronze({
      'a-good.ndjson.gz': good,
      'b-truncated.ndjson.gz': good.subarray(0, Math.floor(good.length / 2)),
      'c-mixed.ndjson': Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(lines(2)),
        Buffer.from('\n   \n{"bad utf8": "'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}\r\n{"crlf": 1}\r\n{"bare": "\r"}\n' + gaLine({ visit: '1470009999' }) + '\n'),
        Buffer.from(`{"long": "${'x'.repeat(70 * 1024)}"}\n`),
        Buffer.from('not json\n'),
      ]),
      'd-bomb.ndjson.gz': Buffer.concat([
        gzipSync(lines(10)),
        gzipSync(Buffer.from(lines(1).repeat((4 * MiB) / 400))),
      ]),
      'e-array.json': `[${gaLine({})},\n${gaLine({ visit: '1470000001' })}]`,
      'f-broken.json': `[${gaLine({})}, {"visitId": `,
      'g-empty.ndjson': '\n\n',
    });
    const onThread = await stageWith(0, blobs);
    const onWorkers = await stageWith(2, blobs);
    expect(onWorkers).toEqual(onThread);
    // The comparison covers every outcome: staged lines, line rejections, blobs rejected whole.
    expect(
      onThread.staged.map((s) => [s.blob.key, s.staged, s.rejections.map((r) => r.reason_code)]),
    ).toEqual([
      ['a-good.ndjson.gz', 200, []],
      ['b-truncated.ndjson.gz', expect.any(Number), ['corrupt_gzip']],
      ['c-mixed.ndjson', 5, ['invalid_utf8', 'control_character', 'line_too_long']],
      ['d-bomb.ndjson.gz', 0, ['blob_too_large']],
      ['e-array.json', 2, []],
      ['f-broken.json', 0, ['not_json']],
      ['g-empty.ndjson', 0, ['empty_blob']],
    ]);
  });

  it('fails the batch with the error a worker hit, as the main thread would', async () => {
    const { stageBlobs } = await built<typeof Stage>('stage.js');
    const blobs = await bronze({ 'a.ndjson': gaLine({}) + '\n', 'b.ndjson': gaLine({}) + '\n' });
    const missing = join(dir, 'no-such-dir');
    const limits = { maxLineBytes: MiB, maxBlobBytes: MiB };
    const onThread = stageBlobs(lake.objects('bronze'), blobs, missing, { ...limits, workers: 0 });
    const onWorkers = stageBlobs(lake.objects('bronze'), blobs, missing, { ...limits, workers: 2 });
    await expect(onThread).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(onWorkers).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining('no-such-dir'),
    });
  });
});
