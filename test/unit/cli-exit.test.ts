import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit.js';
import { LaunchError } from '../../src/pipeline/launch/index.js';
import { productVersion } from '../../src/version.js';

describe('CLI exit mapping and version', () => {
  it('a failed job launch exits 2 with one line naming the job, no stack trace', () => {
    const err = new LaunchError("local job 'dp-pipeline run --claim c1' exited with code 1");
    const { code, message } = exitCodeFor(err);
    expect(code).toBe(2);
    expect(message).toBe("dp-pipeline: local job 'dp-pipeline run --claim c1' exited with code 1");
    expect(message).not.toMatch(/\n|\bat /);
  });

  it('an unexpected error still exits 2 with its stack (a bug must be reportable)', () => {
    const { code, message } = exitCodeFor(new TypeError('boom'));
    expect(code).toBe(2);
    expect(message).toMatch(/internal error.*TypeError: boom\n\s+at /s);
  });

  it('reports the version in package.json (not a hard-coded one)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(productVersion()).toBe(pkg.version);
  });
});
