import { UserError } from '../../errors.js';
import { ContainerAppsJobLauncher } from './container-apps.js';
import type { JobLauncher } from './launcher.js';
import { LocalProcessLauncher } from './local-process.js';

/**
 * The launcher the environment selects: `DP_LAUNCHER=local|container-apps`, by default
 * `container-apps` when `DP_JOB_NAME` is set, else `local`. Container Apps needs
 * `AZURE_SUBSCRIPTION_ID`, `DP_JOB_RESOURCE_GROUP`, `DP_JOB_NAME` (and optionally
 * `DP_JOB_IMAGE`, `DP_JOB_CONTAINER_NAME`). `lakeDir`: the local lake the local job works on.
 */
export function launcherFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly lakeDir?: string } = {},
): JobLauncher {
  const kind = env.DP_LAUNCHER?.trim() || (env.DP_JOB_NAME ? 'container-apps' : 'local');
  if (kind === 'local') {
    return new LocalProcessLauncher({
      env,
      ...(options.lakeDir === undefined ? {} : { lakeDir: options.lakeDir }),
    });
  }
  if (kind !== 'container-apps') {
    throw new UserError(`DP_LAUNCHER must be 'local' or 'container-apps', got '${kind}'`);
  }
  const missing = ['AZURE_SUBSCRIPTION_ID', 'DP_JOB_RESOURCE_GROUP', 'DP_JOB_NAME'].filter(
    (n) => !env[n]?.trim(),
  );
  if (missing.length > 0) {
    throw new UserError(
      `DP_LAUNCHER=container-apps needs ${missing.join(', ')}: set them to the Container Apps Job to start`,
    );
  }
  return new ContainerAppsJobLauncher({
    subscriptionId: env.AZURE_SUBSCRIPTION_ID!.trim(),
    resourceGroup: env.DP_JOB_RESOURCE_GROUP!.trim(),
    jobName: env.DP_JOB_NAME!.trim(),
    ...(env.DP_JOB_IMAGE?.trim() ? { image: env.DP_JOB_IMAGE.trim() } : {}),
    ...(env.DP_JOB_CONTAINER_NAME?.trim() ? { containerName: env.DP_JOB_CONTAINER_NAME.trim() } : {}),
  });
}
