import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const packageJson = z.object({ name: z.string().optional(), version: z.string().optional() }).loose();

let version: string | undefined;

/**
 * The product version in our `package.json`, found by walking up from this module (`src/` in
 * tests, `dist/src/` when built, the Functions package alike), read once. The CLI's `--version`,
 * `/healthz` and every API answer report it, so they name the release actually running.
 * `unknown` if no `dp-pipeline` package.json is above us (never thrown: a version is informative).
 */
export function productVersion(): string {
  if (version !== undefined) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = packageJson.safeParse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
      if (pkg.success && pkg.data.name === 'dp-pipeline' && pkg.data.version)
        return (version = pkg.data.version);
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return (version = 'unknown');
    dir = parent;
  }
}
