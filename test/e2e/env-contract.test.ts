import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// The environment contract the job image, the Function App and the Bicep rely on.
describe('the CLI honours the environment contract', () => {
  it('reads the config from DP_CONFIG (a --config flag still wins)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dp-env-'));
    try {
      await writeFile(join(dir, 'bad.json'), '{"analyses": 1');
      const r = runCli(['explain'], { DP_CONFIG: join(dir, 'bad.json') });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^dp-pipeline: config file .*bad\.json is not valid JSON/);
      expect(
        runCli(['explain', '--config', join(dir, 'missing.json')], { DP_CONFIG: join(dir, 'bad.json') })
          .stderr,
      ).toMatch(/cannot read config file .*missing\.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers a one-line user error (exit 1) for storage and launcher settings that cannot work', () => {
    const account = runCli(['run'], { DP_STORAGE_ACCOUNT: 'https://acct.blob.core.windows.net' });
    expect(account.code).toBe(1);
    expect(account.stderr.trim().split('\n')).toHaveLength(1);
    expect(account.stderr).toMatch(/DP_STORAGE_ACCOUNT .* is not a storage account name/);
    const launcher = runCli(['scan'], { DP_LAUNCHER: 'container-apps', DP_JOB_NAME: 'job' });
    expect(launcher.code).toBe(1);
    expect(launcher.stderr.trim()).toBe(
      'dp-pipeline: DP_LAUNCHER=container-apps needs AZURE_SUBSCRIPTION_ID, DP_JOB_RESOURCE_GROUP: set them to the Container Apps Job to start',
    );
  });
});
