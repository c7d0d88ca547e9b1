import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DamagedStateError } from '../../src/errors.js';
import type { Lake, TableName } from '../../src/storage/index.js';
import { tempLake } from '../helpers/lake.js';
import { storageContract } from './storage-contract.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function fresh(): Promise<Lake> {
  const { lake, cleanup } = await tempLake();
  cleanups.push(cleanup);
  return lake;
}

function fileOf(lake: Lake, table: TableName, pk: string, rk: string): string {
  const path = lake.tables(table).localPath?.(pk, rk);
  if (path === undefined) throw new Error('the local table store names its files');
  return path;
}

/** Local damage: the entity's file cut in the middle, as a crash or a full disk leaves it. */
async function truncate(lake: Lake, table: TableName, pk: string, rk: string): Promise<void> {
  const path = fileOf(lake, table, pk, rk);
  const text = await readFile(path, 'utf8');
  await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
}

storageContract('local filesystem', fresh, truncate);

describe('local filesystem: damaged table files', () => {
  it('names the file and says a truncated one ends early', async () => {
    const lake = await fresh();
    await lake.tables('budget').upsert({ partitionKey: 'dau', rowKey: '2016-08', charges: '{}' });
    await truncate(lake, 'budget', 'dau', '2016-08');
    const err: unknown = await lake
      .tables('budget')
      .get('dau', '2016-08')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DamagedStateError);
    expect((err as Error).message).toBe(
      `budget entity (dau, 2016-08) in ${fileOf(lake, 'budget', 'dau', '2016-08')} is damaged (not valid JSON: it ends early, as if truncated): ${(err as DamagedStateError).remedy}`,
    );
    expect((err as DamagedStateError).remedy).toMatch(/^restore it from a backup; do not delete it/);
  });

  it('says where garbled JSON goes wrong without quoting it, and rejects JSON that is not an entity', async () => {
    const lake = await fresh();
    const path = fileOf(lake, 'erasures', 'user', 'u1');
    await lake.tables('erasures').upsert({ partitionKey: 'user', rowKey: 'u1', source: 'cli' });
    await writeFile(path, '{"partitionKey":"user","rowKey":"u1",secret-pseudonym}');
    const garbled: unknown = await lake
      .tables('erasures')
      .get('user', 'u1')
      .catch((e: unknown) => e);
    expect((garbled as Error).message).toContain('(not valid JSON at character 38 of 54)');
    expect((garbled as Error).message).not.toContain('secret');
    await writeFile(path, '{"partitionKey":"user","rowKey":"u1","source":{"nested":true}}');
    const shape: unknown = await lake
      .tables('erasures')
      .get('user', 'u1')
      .catch((e: unknown) => e);
    expect((shape as Error).message).toMatch(/is damaged \(field source: Invalid input/);
  });
});
