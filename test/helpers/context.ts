import { loadConfig, type PipelineConfig } from '../../src/config/index.js';
import { openRunContext, type RunContext } from '../../src/pipeline/context.js';
import type { Lake } from '../../src/storage/index.js';

/** A run context over `lake` for testing pipeline stages one at a time. */
export async function testContext(
  lake: Lake,
  config?: PipelineConfig,
): Promise<{ ctx: RunContext; close: () => Promise<void> }> {
  return openRunContext({ lake, config: config ?? (await loadConfig()), purpose: 'test-run' });
}
