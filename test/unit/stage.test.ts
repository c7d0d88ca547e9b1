import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Pool from '../../src/bronze/frame-pool.js';
import type * as Stage from '../../src/bronze/stage.js';
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

// Worker threads run compiled JavaScript: these tests drive the built modules (`npm test` builds
// first), whose pool finds `dist/src/bronze/frame-worker.js`. Under vitest the sources have no
// worker program and frame on the main thread, which is what the workers are compared with.
const built = <T>(path: string): Promise<T> =>
  import(pathToFileURL(resolve('dist/src/bronze', path)).href) as Promise<T>;

async function stageWith(workers: number, blobs: ObjectInfo[]) {
  const { stageBlobs: onBuilt } = await built<typeof Stage>('stage.js');
  const out = join(dir, `stage-${workers}`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const staged = await onBuilt(lake.objects('bronze'), blobs, out, {
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

  it('rejects the blobs of a worker that dies and sends it no more, never hanging', async () => {
    const { FramePool } = await built<typeof Pool>('frame-pool.js');
    const program = join(dir, 'dies.mjs');
    await writeFile(
      program,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n",
    );
    const pool = FramePool.start(2, pathToFileURL(program))!;
    const limits = { maxLineBytes: MiB, maxBlobBytes: MiB };
    const frame = (i: number) =>
      pool.frame(Buffer.from('{}\n'), `b${i}.ndjson`, i, join(dir, `${i}.txt`), limits);
    try {
      const first = await Promise.allSettled([frame(0), frame(1)]);
      expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(String((first[0] as PromiseRejectedResult).reason)).toContain('exited (code 3)');
      // Both workers are gone: the next blob is refused at once instead of waiting forever.
      await expect(frame(2)).rejects.toThrow('exited (code 3)');
    } finally {
      await pool.close();
    }
  });

  it('fails the batch with the error a worker hit, as the main thread would', async () => {
    const { stageBlobs: onBuilt } = await built<typeof Stage>('stage.js');
    const blobs = await bronze({ 'a.ndjson': gaLine({}) + '\n', 'b.ndjson': gaLine({}) + '\n' });
    const missing = join(dir, 'no-such-dir');
    const limits = { maxLineBytes: MiB, maxBlobBytes: MiB };
    const onThread = onBuilt(lake.objects('bronze'), blobs, missing, { ...limits, workers: 0 });
    const onWorkers = onBuilt(lake.objects('bronze'), blobs, missing, { ...limits, workers: 2 });
    await expect(onThread).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(onWorkers).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining('no-such-dir'),
    });
  });
});
