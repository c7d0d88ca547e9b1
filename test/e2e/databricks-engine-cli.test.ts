import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const WAREHOUSE = {
  DP_DATABRICKS_HOST: 'adb-1234567890123456.7.azuredatabricks.net',
  DP_DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/abcdef0123456789',
};

describe('dp-pipeline run with DP_ENGINE=databricks', () => {
  it('refuses a lake a warehouse cannot read, in one line, before touching it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dp-databricks-'));
    try {
      const lake = join(dir, 'lake');
      const r = runCli(['run', '--lake', lake, '--with-sample'], { DP_ENGINE: 'databricks', ...WAREHOUSE });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /^dp-pipeline: DP_ENGINE=databricks reads Silver from Azure Storage, but the lake is at /,
      );
      // Nothing was copied, ingested or charged.
      await expect(readdir(lake)).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the missing warehouse settings and an unknown engine (exit 1)', () => {
    const missing = runCli(['run', '--lake', join(tmpdir(), 'never-created')], { DP_ENGINE: 'databricks' });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      "dp-pipeline: DP_ENGINE=databricks needs DP_DATABRICKS_HOST, DP_DATABRICKS_HTTP_PATH: set them to the SQL warehouse's workspace host and HTTP path",
    );
    const unknown = runCli(['run'], { DP_ENGINE: 'spark' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      "dp-pipeline: DP_ENGINE must be 'duckdb' or 'databricks', got 'spark'",
    );
  });
});
