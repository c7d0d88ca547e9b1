import { createHttpHeaders, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

/** An offline ARM: records each request; answers GET of the job with `job`, POST start with `start`. */
function fakeArm(
  job: { status: number; body: unknown },
  start: { status: number; body: unknown },
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
        const answer = request.method === 'GET' ? job : start;
        return Promise.resolve({
          request,
          status: answer.status,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText: JSON.stringify(answer.body),
        });
      },
    },
  };
}

const JOB =
  'https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-dp/providers/Microsoft.App/jobs/dp-job';
const REQUEST = {
  claimId: 'scan-20261123T120000Z-abcdef',
  manifestKey: 'scans/scan-20261123T120000Z-abcdef.json',
};
/** The job as the Bicep defines it: env with a Key Vault-backed secret reference, resources. */
const JOB_DEFINITION = {
  name: 'dp-job',
  properties: {
    template: {
      containers: [
        {
          name: 'pipeline',
          image: 'dpacr.azurecr.io/dp-pipeline:1',
          env: [
            { name: 'DP_STORAGE_ACCOUNT', value: 'dpstore' },
            { name: 'AZURE_CLIENT_ID', value: 'job-identity' },
            { name: 'DP_PSEUDONYM_KEY', secretRef: 'pseudonym-key' },
          ],
          resources: { cpu: 2, memory: '4Gi' },
        },
      ],
    },
  },
};
const launcher = (arm: ReturnType<typeof fakeArm>, extra: { image?: string; containerName?: string } = {}) =>
  new ContainerAppsJobLauncher({
    subscriptionId: 'sub-1',
    resourceGroup: 'rg-dp',
    jobName: 'dp-job',
    credential: fakeCredential,
    httpClient: arm.httpClient,
    ...extra,
  });

describe('ContainerAppsJobLauncher', () => {
  it("reads the job, then POSTs jobs/{name}/start with a bearer token and the job's container running run --claim", async () => {
    const arm = fakeArm(
      { status: 200, body: JOB_DEFINITION },
      { status: 200, body: { name: 'dp-job-x1y2z' } },
    );
    expect(await launcher(arm).start(REQUEST)).toEqual({ execution: 'dp-job-x1y2z' });
    expect(arm.sent.map((r) => [r.method, r.url])).toEqual([
      ['GET', `${JOB}?api-version=2025-07-01`],
      ['POST', `${JOB}/start?api-version=2025-07-01`],
    ]);
    const post = arm.sent[1]!;
    expect(post.headers.get('authorization')).toBe('Bearer fake-token');
    expect(JSON.parse(String(post.body))).toEqual({
      containers: [
        {
          name: 'pipeline',
          image: 'dpacr.azurecr.io/dp-pipeline:1',
          args: ['run', '--claim', REQUEST.claimId],
          env: JOB_DEFINITION.properties.template.containers[0]!.env,
          resources: { cpu: 2, memory: '4Gi' },
        },
      ],
    });
  });

  it('runs DP_JOB_IMAGE when given, and names a missing container clearly', async () => {
    const arm = fakeArm({ status: 200, body: JOB_DEFINITION }, { status: 202, body: { name: 'dp-job-abc' } });
    expect(await launcher(arm, { image: 'dpacr.azurecr.io/dp-pipeline:2' }).start(REQUEST)).toEqual({
      execution: 'dp-job-abc',
    });
    expect(JSON.parse(String(arm.sent[1]!.body)).containers[0].image).toBe('dpacr.azurecr.io/dp-pipeline:2');
    const empty = fakeArm(
      { status: 200, body: { name: 'dp-job', properties: { template: { containers: [] } } } },
      {
        status: 200,
        body: {},
      },
    );
    await expect(launcher(empty).start(REQUEST)).rejects.toThrow(/defines no container 'pipeline'/);
    expect(empty.sent.map((r) => r.method)).toEqual(['GET']);
  });

  it('surfaces an ARM refusal as a LaunchError naming the job and status', async () => {
    const arm = fakeArm(
      { status: 200, body: JOB_DEFINITION },
      { status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no permission' } } },
    );
    const err = await launcher(arm)
      .start(REQUEST)
      .catch((e: unknown) => e);
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

describe('LocalProcessLauncher with a local lake', () => {
  it('passes the lake the scan was given as an absolute --lake', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dp-launch-'));
    try {
      const out = join(dir, 'out.json');
      const script = "require('fs').writeFileSync(process.env.OUT, JSON.stringify(process.argv.slice(1)))";
      const env = { ...process.env, OUT: out };
      await new LocalProcessLauncher({
        command: [process.execPath, '-e', script],
        env,
        lakeDir: 'rel/lake',
      }).start(REQUEST);
      expect(JSON.parse(await readFile(out, 'utf8'))).toEqual([
        'run',
        '--claim',
        REQUEST.claimId,
        '--lake',
        resolve('rel/lake'),
      ]);
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
