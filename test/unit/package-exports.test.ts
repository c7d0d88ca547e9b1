import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('package entry points', () => {
  it('every export and the bin resolve to built files with the documented API', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as {
      exports: Record<string, string>;
      bin: Record<string, string>;
    };
    const load = (path: string) =>
      import(/* @vite-ignore */ pathToFileURL(resolve(path)).href) as Promise<Record<string, unknown>>;
    const main = await load(pkg.exports['.']!);
    expect(typeof main.runPipeline).toBe('function');
    expect(typeof main.loadConfig).toBe('function');
    const dp = await load(pkg.exports['./dp']!);
    expect(typeof dp.sampleDiscreteLaplace).toBe('function');
    await expect(readFile(pkg.bin['dp-pipeline']!, 'utf8')).resolves.toMatch(/^#!\/usr\/bin\/env node/);
  });
});
