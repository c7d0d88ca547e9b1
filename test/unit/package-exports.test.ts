import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

describe('package entry points', () => {
  it('every export and the bin resolve to built files with the documented API', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as {
      exports: Record<string, string>;
      bin: Record<string, string>;
    };
    const main = (await import(`../../${pkg.exports['.']!}`)) as Record<string, unknown>;
    expect(typeof main.runPipeline).toBe('function');
    expect(typeof main.loadConfig).toBe('function');
    const dp = (await import(`../../${pkg.exports['./dp']!}`)) as Record<string, unknown>;
    expect(typeof dp.sampleDiscreteLaplace).toBe('function');
    await expect(readFile(pkg.bin['dp-pipeline']!, 'utf8')).resolves.toMatch(/^#!\/usr\/bin\/env node/);
  });
});
