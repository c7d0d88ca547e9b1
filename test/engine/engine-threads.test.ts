import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, engineThreads } from '../../src/engine/duckdb.js';
import { UserError } from '../../src/errors.js';

describe('engine threads', () => {
  it('default to every core, or DP_ENGINE_THREADS when set', () => {
    expect(engineThreads({})).toBe(availableParallelism());
    expect(engineThreads({ DP_ENGINE_THREADS: '' })).toBe(availableParallelism());
    expect(engineThreads({ DP_ENGINE_THREADS: ' 3 ' })).toBe(3);
  });

  it('refuse a DP_ENGINE_THREADS that is not a positive integer, naming the variable and the value', () => {
    for (const bad of ['0', '-1', '2.5', 'all']) {
      expect(() => engineThreads({ DP_ENGINE_THREADS: bad })).toThrow(UserError);
      expect(() => engineThreads({ DP_ENGINE_THREADS: bad })).toThrow(`DP_ENGINE_THREADS: "${bad}"`);
    }
  });

  it('are what the opened DuckDB runs with', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dp-engine-threads-'));
    const engine = await Engine.open({ tempDirectory: dir, threads: 1 });
    try {
      const [row] = await engine.all<{ t: bigint }>(`SELECT current_setting('threads') AS t`);
      expect(Number(row!.t)).toBe(1);
    } finally {
      engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
