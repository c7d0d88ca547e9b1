import { createHttpHeaders, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  ContainerAppsJobLauncher,
  LaunchError,
  LocalProcessLauncher,
  launcherFromEnv,
} from '../../src/pipeline/launch/index.js';

const fakeCredential = {
  getToken: () => Promise.resolve({ token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** An offline ARM: records each request and answers with `status` and `body`. */
function fakeArm(
  status: number,
  body: unknown,
): {
  sent: PipelineRequest[];
  httpClient: { sendRequest: (r: PipelineRequest) => Promise<PipelineResponse> };
} {
  const sent: PipelineRequest[] = [];
  return {
    sent,
    httpClient: {
      sendRequest: (request) => {
        sent.push(request);
        return Promise.resolve({
          request,
          status,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText: JSON.stringify(body),
        });
      },
    },
  };
}

const JOB_URL =
  'https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-dp/providers/Microsoft.App/jobs/dp-job/start?api-version=2025-07-01';
const REQUEST = {
  claimId: 'scan-20261123T120000Z-abcdef',
  manifestKey: 'scans/scan-20261123T120000Z-abcdef.json',
};

describe('ContainerAppsJobLauncher', () => {
  it('POSTs jobs/{name}/start with a bearer token and the run --claim template', async () => {
    const arm = fakeArm(200, { name: 'dp-job-x1y2z', id: '/subscriptions/sub-1/…/executions/dp-job-x1y2z' });
    const launcher = new ContainerAppsJobLauncher({
      subscriptionId: 'sub-1',
      resourceGroup: 'rg-dp',
      jobName: 'dp-job',
      image: 'dpacr.azurecr.io/dp-pipeline:1',
      env: { DP_STORAGE_ACCOUNT: 'dpstore', DP_LOG_LEVEL: 'info', DP_PSEUDONYM_KEY: 'secret!' },
      credential: fakeCredential,
      httpClient: arm.httpClient,
    });
    expect(await launcher.start(REQUEST)).toEqual({ execution: 'dp-job-x1y2z' });
    expect(arm.sent).toHaveLength(1);
    const req = arm.sent[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(JOB_URL);
    expect(req.headers.get('authorization')).toBe('Bearer fake-token');
    expect(JSON.parse(String(req.body))).toEqual({
      containers: [
        {
          name: 'pipeline',
          image: 'dpacr.azurecr.io/dp-pipeline:1',
          args: ['run', '--claim', REQUEST.claimId],
          env: [
            { name: 'DP_STORAGE_ACCOUNT', value: 'dpstore' },
            { name: 'DP_LOG_LEVEL', value: 'info' },
          ],
        },
      ],
    });
  });

  it('starts the job as defined when no image is configured', async () => {
    const arm = fakeArm(202, { name: 'dp-job-abc' });
    const launcher = new ContainerAppsJobLauncher({
      subscriptionId: 'sub-1',
      resourceGroup: 'rg-dp',
      jobName: 'dp-job',
      credential: fakeCredential,
      httpClient: arm.httpClient,
    });
    expect(await launcher.start(REQUEST)).toEqual({ execution: 'dp-job-abc' });
    expect(arm.sent[0]!.url).toBe(JOB_URL);
    expect(arm.sent[0]!.body ?? '').not.toContain('containers');
  });

  it('surfaces an ARM refusal as a LaunchError naming the job and status', async () => {
    const arm = fakeArm(403, { error: { code: 'AuthorizationFailed', message: 'no permission' } });
    const launcher = new ContainerAppsJobLauncher({
      subscriptionId: 'sub-1',
      resourceGroup: 'rg-dp',
      jobName: 'dp-job',
      credential: fakeCredential,
      httpClient: arm.httpClient,
    });
    const err = await launcher.start(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as Error).message).toMatch(/rg-dp\/dp-job \(HTTP 403\)/);
  });
});

describe('LocalProcessLauncher', () => {
  const script =
    "require('fs').writeFileSync(process.env.OUT, JSON.stringify({ argv: process.argv.slice(1), store: process.env.DP_STORAGE_CONNECTION_STRING })); process.exit(Number(process.env.CODE));";

  it('runs `run --claim <id>` with the same environment and waits for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dp-launch-'));
    try {
      const out = join(dir, 'out.json');
      const env = { ...process.env, OUT: out, CODE: '0', DP_STORAGE_CONNECTION_STRING: 'AccountName=x' };
      const launcher = new LocalProcessLauncher({ command: [process.execPath, '-e', script], env });
      const { execution } = await launcher.start(REQUEST);
      expect(execution).toMatch(/^local-\d+$/);
      expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
        argv: ['run', '--claim', REQUEST.claimId],
        store: 'AccountName=x',
      });
      await expect(
        new LocalProcessLauncher({
          command: [process.execPath, '-e', script],
          env: { ...env, CODE: '2' },
        }).start(REQUEST),
      ).rejects.toThrow(/exited with code 2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('launcherFromEnv', () => {
  it('defaults to local, to container-apps when a job is named, and explains what is missing', () => {
    expect(launcherFromEnv({}).kind).toBe('local');
    expect(
      launcherFromEnv({ DP_JOB_NAME: 'j', DP_JOB_RESOURCE_GROUP: 'rg', AZURE_SUBSCRIPTION_ID: 's' }).kind,
    ).toBe('container-apps');
    expect(launcherFromEnv({ DP_JOB_NAME: 'j', DP_LAUNCHER: 'local' }).kind).toBe('local');
    expect(() => launcherFromEnv({ DP_JOB_NAME: 'j' })).toThrow(
      /DP_LAUNCHER=container-apps needs AZURE_SUBSCRIPTION_ID, DP_JOB_RESOURCE_GROUP/,
    );
    expect(() => launcherFromEnv({ DP_LAUNCHER: 'k8s' })).toThrow(UserError);
  });
});
