import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { DEFAULT_CONFIG_INPUT } from './default-config.js';
import { configSchema, type PipelineConfig } from './schema.js';

/** Validates a config object; a problem becomes a one-line `UserError` naming the field. */
export function parseConfig(input: unknown, source = 'config'): PipelineConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new UserError(`${source}: ${describeIssue(result.error.issues[0])}`);
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid config';
  const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${path}: ${issue.message}`;
}

/** Reads and validates `file`, or returns the built-in config when `file` is undefined. */
export async function loadConfig(file?: string): Promise<PipelineConfig> {
  if (file === undefined) return parseConfig(DEFAULT_CONFIG_INPUT, 'built-in config');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, file);
}
