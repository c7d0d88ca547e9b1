import { afterAll } from 'vitest';
import { tempLake } from '../helpers/lake.js';
import { storageContract } from './storage-contract.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

storageContract('local filesystem', async () => {
  const { lake, cleanup } = await tempLake();
  cleanups.push(cleanup);
  return lake;
});
