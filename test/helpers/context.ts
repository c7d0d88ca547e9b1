import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type PipelineConfig } from '../../src/config/index.js';
import { Engine } from '../../src/engine/duckdb.js';
import { silentLogger } from '../../src/log.js';
import type { RunContext } from '../../src/pipeline/context.js';
import { newRunId } from '../../src/pipeline/run-id.js';
import type { Lake } from '../../src/storage/index.js';

/** A run context over `lake` for testing pipeline stages one at a time. */
export async function testContext(
  lake: Lake,
  config?: PipelineConfig,
): Promise<{ ctx: RunContext; close: () => Promise<void> }> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'dp-test-run-'));
  const engine = await Engine.open({ tempDirectory: join(tmpDir, 'duckdb') });
  const ctx: RunContext = {
    lake,
    config: config ?? (await loadConfig()),
    runId: newRunId(),
    tmpDir,
    engine,
    log: silentLogger(),
    progress: () => {},
    now: new Date(),
    timings: {},
  };
  return {
    ctx,
    close: async () => {
      engine.close();
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}
