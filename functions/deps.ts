import { loadConfig } from '../src/config/index.js';
import { parseApiKeys, type HttpDeps } from '../src/http/index.js';
import { createLogger, type Logger } from '../src/log.js';
import { launcherFromEnv, type JobLauncher } from '../src/pipeline/launch/index.js';
import { lakeFromEnv } from '../src/storage/azure/index.js';
import { productVersion } from '../src/version.js';
import type { Lake } from '../src/storage/index.js';

/**
 * What the Functions share, built from the environment in one place (the env contract:
 * `DP_STORAGE_*` for the lake, `DP_LAUNCHER`/`DP_JOB_*` for the job; `DP_API_KEYS` and
 * `DP_CONFIG` for the HTTP API, see {@link httpDeps}).
 */
export interface FunctionDeps {
  readonly lake: Lake;
  readonly launcher: JobLauncher;
}

export function functionDeps(env: NodeJS.ProcessEnv = process.env): FunctionDeps {
  return { lake: lakeFromEnv('./lake', env), launcher: launcherFromEnv(env) };
}

/** The warning logged when the data routes are left out for want of `DP_API_KEYS`. */
export const NO_API_KEYS_WARNING =
  'DP_API_KEYS is not set: serving only /healthz and /metrics (set DP_API_KEYS, comma-separated, to serve the data routes)';

/** The warning logged when `DP_API_KEYS` is a Key Vault reference the platform did not resolve. */
export const UNRESOLVED_API_KEYS_WARNING =
  'DP_API_KEYS is an unresolved Key Vault reference: serving only /healthz and /metrics (check the api-keys secret exists and the Function identity has Key Vault Secrets User on it)';

/**
 * The HTTP API's dependencies from the environment: the lake (`DP_STORAGE_*`), the analyses
 * config (`DP_CONFIG`, default the built-in one) and the accepted API keys (`DP_API_KEYS`,
 * comma-separated), and the metrics token (`DP_METRICS_TOKEN`, optional). Without keys the data routes are never served: the app gets no lake (only
 * `/healthz` and `/metrics`), and one warning line is logged. Keys are never logged.
 */
export async function httpDeps(
  env: NodeJS.ProcessEnv = process.env,
  log: Logger = createLogger(env.DP_LOG_LEVEL ?? 'warn'),
): Promise<HttpDeps> {
  const version = productVersion();
  const apiKeys = parseApiKeys(env.DP_API_KEYS);
  if (apiKeys.length === 0) {
    log.warn(NO_API_KEYS_WARNING);
    return { version, ...metricsToken(env), log };
  }
  // App Service passes a Key Vault reference it cannot resolve (secret missing, role not yet
  // effective) through as its literal text: never accept that public string as a key.
  if (apiKeys.some((k) => k.startsWith('@Microsoft.KeyVault('))) {
    log.warn(UNRESOLVED_API_KEYS_WARNING);
    return { version, ...metricsToken(env), log };
  }
  return {
    version,
    ...metricsToken(env),
    lake: lakeFromEnv('./lake', env),
    config: await loadConfig(env.DP_CONFIG),
    apiKeys,
    log,
  };
}

/** `DP_METRICS_TOKEN`: when set, `/metrics` needs `Authorization: Bearer <it>`. */
function metricsToken(env: NodeJS.ProcessEnv): { metricsToken?: string } {
  const token = env.DP_METRICS_TOKEN?.trim();
  return token ? { metricsToken: token } : {};
}
