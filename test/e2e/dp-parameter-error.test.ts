import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { DpParameterError as DpParameterErrorFromDp, rhoForEpsilonDelta } from '../../src/dp/index.js';
import { DpParameterError, DpPipelineError } from '../../src/errors.js';
import { createApp, statusFor } from '../../src/http/index.js';
import type { FsLake } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { tempLake } from '../helpers/lake.js';

// The schema lets each number through (ε in (0, 10], δ in (0, 1e-3]), but no ρ > 0 gives
// (ε, δ)-DP at ε = δ = 1e-300: the DP engine refuses the MAU plan with a DpParameterError.
const TINY_MAU = {
  ...DEFAULT_CONFIG_INPUT,
  active_users: {
    ...DEFAULT_CONFIG_INPUT.active_users,
    mau: { epsilon: 1e-300, delta: 1e-300, window_days: 30, monthly_epsilon_cap: 1 },
  },
};
const KEY = 'test-key-0123456789';

let lake: FsLake;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ lake, dir, cleanup } = await tempLake()));
afterAll(() => cleanup());

describe('a DP parameter out of range is a user error', () => {
  it('is the DpPipelineError family with code DP_PARAMETER, the same class from dp/ and errors.ts', () => {
    expect(DpParameterError).toBe(DpParameterErrorFromDp);
    const err = new DpParameterError('epsilon must be a finite number > 0, got 0');
    expect(err).toBeInstanceOf(DpPipelineError);
    expect(err).toMatchObject({ code: 'DP_PARAMETER', name: 'DpParameterError' });
    expect(exitCodeFor(err)).toEqual({
      code: 1,
      message: 'dp-pipeline: epsilon must be a finite number > 0, got 0',
    });
    expect(statusFor(err)).toBe(400);
  });

  it('a config the schema accepts but the DP engine refuses exits 1 with one line, no stack trace', async () => {
    expect(() => parseConfig(TINY_MAU)).not.toThrow();
    expect(() => rhoForEpsilonDelta(1e-300, 1e-300)).toThrow(DpParameterError);
    const file = join(dir, 'tiny-mau.json');
    await writeFile(file, JSON.stringify(TINY_MAU));
    const r = runCli(['mau', '--end', '2016-08-31', '--lake', dir, '--config', file]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'dp-pipeline: no ρ > 0 satisfies (ε = 1e-300, δ = 1e-300); raise epsilon or delta',
    ]);
  });

  it('the same config over HTTP answers 400 invalid_request naming the parameters, not a 500', async () => {
    const app = createApp({
      version: '1',
      lake,
      config: parseConfig(TINY_MAU),
      apiKeys: [KEY],
      charts: false,
    });
    const res = await app.fetch(
      new Request('http://x/mau?end=2016-08-31', { headers: { 'x-api-key': KEY } }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_request',
      message: 'no ρ > 0 satisfies (ε = 1e-300, δ = 1e-300); raise epsilon or delta',
    });
  });
});
