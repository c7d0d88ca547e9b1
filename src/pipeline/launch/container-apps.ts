import type {
  ContainerAppsAPIClient,
  Container,
  ContainerAppsAPIClientOptionalParams,
  JobExecutionTemplate,
} from '@azure/arm-appcontainers';
import type { TokenCredential } from '@azure/identity';
import { appContainersSdk, identitySdk } from '../../azure-sdk.js';
import type { JobLauncher, LaunchRequest, LaunchResult } from './launcher.js';
import { LaunchError } from './launcher.js';

export interface ContainerAppsJobLauncherOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly jobName: string;
  /** Image for the execution (default: the image in the job's definition). */
  readonly image?: string;
  /** Container of the job definition to run (default `pipeline`, else the job's first container). */
  readonly containerName?: string;
  /** Default `DefaultAzureCredential` (the Function's managed identity). */
  readonly credential?: TokenCredential;
  /** For tests: the SDK's HTTP client (`{ sendRequest }`). */
  readonly httpClient?: ContainerAppsAPIClientOptionalParams['httpClient'];
}

/**
 * Starts one execution of a Container Apps Job through ARM, authenticated with the managed
 * identity (which needs to read and start the job, e.g. Container Apps Jobs Operator on it).
 *
 * An execution template replaces the job's container definition for that execution, so the
 * template is built from the job's own container (`GET …/jobs/{job}`: its env with secret
 * references, resources and command are kept) with only the args changed to
 * `run --claim <id>` (and the image, when `image` is set); then
 * `POST …/providers/Microsoft.App/jobs/{job}/start`.
 */
export class ContainerAppsJobLauncher implements JobLauncher {
  readonly kind = 'container-apps';
  private readonly client: ContainerAppsAPIClient;

  constructor(private readonly options: ContainerAppsJobLauncherOptions) {
    this.client = new (appContainersSdk().ContainerAppsAPIClient)(
      options.credential ?? new (identitySdk().DefaultAzureCredential)(),
      options.subscriptionId,
      options.httpClient ? { httpClient: options.httpClient } : {},
    );
  }

  /** The execution template: the job's container with `run --claim <id>` as args. */
  template(containers: readonly Container[], request: LaunchRequest): JobExecutionTemplate {
    const wanted = this.options.containerName ?? 'pipeline';
    const base = containers.find((c) => c.name === wanted) ?? containers[0];
    const image = this.options.image ?? base?.image;
    if (!base || !image) {
      throw new LaunchError(
        `Container Apps Job ${this.options.jobName} defines no container '${wanted}' with an image: check DP_JOB_CONTAINER_NAME and the job's template`,
      );
    }
    return {
      containers: [
        {
          name: base.name ?? wanted,
          image,
          ...(base.command ? { command: base.command } : {}),
          args: ['run', '--claim', request.claimId],
          ...(base.env ? { env: base.env } : {}),
          ...(base.resources ? { resources: base.resources } : {}),
        },
      ],
    };
  }

  async start(request: LaunchRequest, options: { abortSignal?: AbortSignal } = {}): Promise<LaunchResult> {
    const { resourceGroup, jobName } = this.options;
    const abort = options.abortSignal ? { abortSignal: options.abortSignal } : {};
    try {
      const job = await this.client.jobs.get(resourceGroup, jobName, abort);
      const template = this.template(job.template?.containers ?? [], request);
      const res = await this.client.jobs.beginStartAndWait(resourceGroup, jobName, {
        template,
        updateIntervalInMs: 2_000,
        ...abort,
      });
      return { execution: res.name ?? res.id ?? 'unknown' };
    } catch (err) {
      if (err instanceof LaunchError) throw err;
      const status = (err as { statusCode?: unknown }).statusCode;
      const detail = err instanceof Error ? err.message : String(err);
      throw new LaunchError(
        `could not start Container Apps Job ${resourceGroup}/${jobName}${status ? ` (HTTP ${String(status)})` : ''}: ${detail}`,
        { cause: err },
      );
    }
  }
}
