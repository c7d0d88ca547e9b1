import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, DEFAULT_CONFIG_INPUT, loadConfig, parseConfig } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';

describe('config', () => {
  it('ships config/default.json equal to the built-in config', async () => {
    const { $schema, ...fromFile } = await loadConfig('config/default.json');
    expect($schema).toBe('./schema.json');
    expect(fromFile).toEqual(await loadConfig());
  });

  it('ships config/schema.json equal to the schema the code validates with', async () => {
    expect(JSON.parse(await readFile('config/schema.json', 'utf8'))).toEqual(configJsonSchema());
  });

  it('names the field and the problem in one line', () => {
    const bad = { ...DEFAULT_CONFIG_INPUT, analyses: [{ ...DEFAULT_CONFIG_INPUT.analyses[0], epsilon: -1 }] };
    expect(() => parseConfig(bad, 'my.json')).toThrow(UserError);
    expect(() => parseConfig(bad, 'my.json')).toThrow(/^my\.json: analyses\.0\.epsilon: /);
  });

  it('rejects a mean without bounds, unknown fields and duplicate names', () => {
    const mean = { ...DEFAULT_CONFIG_INPUT.analyses[1], bounds: undefined };
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: [mean] })).toThrow(/analyses\.0\.bounds/);
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, extra: 1 })).toThrow(/extra/);
    const dup = [DEFAULT_CONFIG_INPUT.analyses[0], DEFAULT_CONFIG_INPUT.analyses[0]];
    expect(() => parseConfig({ ...DEFAULT_CONFIG_INPUT, analyses: dup })).toThrow(/unique/);
  });
});
