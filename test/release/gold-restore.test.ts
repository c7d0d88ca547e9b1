import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { seededRandom } from '../../src/dp/index.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { FsLake } from '../../src/storage/index.js';
import { tempLake } from '../helpers/lake.js';

let lake: FsLake;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ lake, dir, cleanup } = await tempLake());
  for (const day of ['01', '02']) {
    await cp(`examples/ga360/bronze/2016/08/${day}`, join(dir, 'bronze', '2016', '08', day), {
      recursive: true,
    });
  }
});
afterEach(() => cleanup());

const run = async (seed: string) =>
  runPipeline({ lake, config: await loadConfig(), rng: seededRandom(seed) });

async function read(container: 'gold' | 'private', key: string): Promise<string | undefined> {
  const store = lake.objects(container);
  return (await store.head(key)) ? (await store.read(key)).toString('utf8') : undefined;
}

async function ledgerDump(): Promise<string> {
  const rows: string[] = [];
  for await (const { entity } of lake.tables('budget').list()) rows.push(JSON.stringify(entity));
  return rows.sort().join('\n');
}

describe('Gold is a publication of the release records', () => {
  it('restores deleted and edited monthly releases byte-identical on the next run, spending nothing', async () => {
    const first = await run('first');
    const released = first.report.releases.filter((r) => r.status === 'released');
    expect(released.length).toBeGreaterThanOrEqual(2);
    const [a, b] = released.map((r) => `releases/${r.analysis}/${r.window}.json`) as [string, string];
    const textA = await read('gold', a);
    const textB = await read('gold', b);
    const ledger = await ledgerDump();
    const index = JSON.parse((await read('gold', 'index.json'))!) as { releases: unknown[] };

    await lake.objects('gold').delete(a);
    await lake.objects('gold').write(b, textB!.replace(/"value": (-?\d+)/, '"value": 1$1'));
    const second = await run('second');

    expect(second.report.epsilon_spent).toBe(0);
    expect(second.report.releases.every((r) => r.status === 'already_released')).toBe(true);
    expect(await read('gold', a)).toBe(textA);
    expect(await read('gold', b)).toBe(textB);
    expect(await ledgerDump()).toBe(ledger);
    const after = JSON.parse((await read('gold', 'index.json'))!) as { releases: unknown[] };
    expect(after.releases).toHaveLength(index.releases.length);
    // The record is what Gold holds, byte for byte.
    expect(await read('private', a)).toBe(textA);
  });
});
