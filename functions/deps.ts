import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpDeps } from '../src/http/index.js';
import { launcherFromEnv, type JobLauncher } from '../src/pipeline/launch/index.js';
import { lakeFromEnv } from '../src/storage/azure/index.js';
import type { Lake } from '../src/storage/index.js';

/**
 * What the Functions share, built from the environment in one place (the env contract:
 * `DP_STORAGE_*` for the lake, `DP_LAUNCHER`/`DP_JOB_*` for the job). More HTTP routes get
 * their dependencies by extending {@link httpDeps}.
 */
export interface FunctionDeps {
  readonly lake: Lake;
  readonly launcher: JobLauncher;
}

export function functionDeps(env: NodeJS.ProcessEnv = process.env): FunctionDeps {
  return { lake: lakeFromEnv('./lake', env), launcher: launcherFromEnv(env) };
}

export function httpDeps(_env: NodeJS.ProcessEnv = process.env): HttpDeps {
  return { version: packageVersion() };
}

let version: string | undefined;

/** The version in our package.json, found by walking up from this module (src and dist alike). */
function packageVersion(): string {
  if (version !== undefined) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'dp-pipeline' && pkg.version) return (version = pkg.version);
    } catch {
      // not here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return (version = 'unknown');
    dir = parent;
  }
}
