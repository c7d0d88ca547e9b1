import {
  ContainerAppsAPIClient,
  type ContainerAppsAPIClientOptionalParams,
  type JobExecutionTemplate,
} from '@azure/arm-appcontainers';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { JobLauncher, LaunchRequest, LaunchResult } from './launcher.js';
import { LaunchError } from './launcher.js';

/** Non-secret settings the job's container needs to reach the same storage and config. */
const PASSED_ENV = ['DP_STORAGE_ACCOUNT', 'DP_CONFIG', 'DP_LOG_LEVEL', 'DP_PSEUDONYM_KEY_VERSION'] as const;

export interface ContainerAppsJobLauncherOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly jobName: string;
  /**
   * Image for the execution template. When set, the execution overrides the job's container
   * with `args: ['run', '--claim', <id>]`; when not, the job starts as defined (its default
   * command `run` adopts the active claim itself).
   */
  readonly image?: string;
  /** Container name in the job definition (default `pipeline`). */
  readonly containerName?: string;
  /** Values copied into the template's `env` (the non-secret storage/config settings). */
  readonly env?: NodeJS.ProcessEnv;
  /** Default `DefaultAzureCredential` (the Function's managed identity). */
  readonly credential?: TokenCredential;
  /** For tests: the SDK's HTTP client (`{ sendRequest }`). */
  readonly httpClient?: ContainerAppsAPIClientOptionalParams['httpClient'];
}

/**
 * Starts one execution of a Container Apps Job through ARM
 * (`POST …/providers/Microsoft.App/jobs/{job}/start`), authenticated with the managed identity;
 * the identity needs a role that can start the job (e.g. Container Apps Jobs Operator on it).
 */
export class ContainerAppsJobLauncher implements JobLauncher {
  readonly kind = 'container-apps';
  private readonly client: ContainerAppsAPIClient;

  constructor(private readonly options: ContainerAppsJobLauncherOptions) {
    this.client = new ContainerAppsAPIClient(
      options.credential ?? new DefaultAzureCredential(),
      options.subscriptionId,
      options.httpClient ? { httpClient: options.httpClient } : {},
    );
  }

  /** The execution template sent with the start request, if any. */
  template(request: LaunchRequest): JobExecutionTemplate | undefined {
    if (!this.options.image) return undefined;
    const env = PASSED_ENV.flatMap((name) => {
      const value = this.options.env?.[name];
      return value ? [{ name, value }] : [];
    });
    return {
      containers: [
        {
          name: this.options.containerName ?? 'pipeline',
          image: this.options.image,
          args: ['run', '--claim', request.claimId],
          ...(env.length > 0 ? { env } : {}),
        },
      ],
    };
  }

  async start(request: LaunchRequest, options: { abortSignal?: AbortSignal } = {}): Promise<LaunchResult> {
    const { resourceGroup, jobName } = this.options;
    const template = this.template(request);
    try {
      const res = await this.client.jobs.beginStartAndWait(resourceGroup, jobName, {
        ...(template ? { template } : {}),
        ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
        updateIntervalInMs: 2_000,
      });
      return { execution: res.name ?? res.id ?? 'unknown' };
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      const detail = err instanceof Error ? err.message : String(err);
      throw new LaunchError(
        `could not start Container Apps Job ${resourceGroup}/${jobName}${status ? ` (HTTP ${String(status)})` : ''}: ${detail}`,
        { cause: err },
      );
    }
  }
}
