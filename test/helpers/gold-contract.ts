import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { indexSchema, releaseSchema, type GoldIndex } from '../../src/gold/schema.js';

/** Parses `value` with `schema`, failing with zod's readable list of problems. */
export function mustMatch<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const checked = schema.safeParse(value);
  if (!checked.success) throw new Error(`${what} breaks its schema:\n${z.prettifyError(checked.error)}`);
  return checked.data;
}

/**
 * Validates a local Gold directory against the published contracts: `index.json` against
 * `dp-pipeline/index@1`, every release it lists against `dp-pipeline/release@1`, and every
 * linked file exists. Returns the index.
 */
export async function checkGoldContract(goldDir: string): Promise<GoldIndex> {
  const index = mustMatch(
    indexSchema,
    JSON.parse(await readFile(join(goldDir, 'index.json'), 'utf8')),
    'gold/index.json',
  );
  for (const entry of index.releases) {
    mustMatch(releaseSchema, JSON.parse(await readFile(join(goldDir, entry.json), 'utf8')), entry.json);
    await access(join(goldDir, entry.svg));
    await access(join(goldDir, entry.png));
  }
  await access(join(goldDir, index.report));
  return index;
}
