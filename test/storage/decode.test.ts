import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exitCodeFor } from '../../src/cli/exit.js';
import { DamagedStateError } from '../../src/errors.js';
import { statusFor } from '../../src/http/status.js';
import { decodeStored, decodeStoredJson, entitySchema } from '../../src/storage/index.js';

const where = { object: 'key file private/keys/k.json', remedy: 'restore it from a backup' };
const keyFile = z.object({
  version: z.string(),
  key: z.string().regex(/^[0-9a-f]{64}$/, '64 hex characters'),
});

function damage(run: () => unknown): DamagedStateError {
  try {
    run();
  } catch (err) {
    if (err instanceof DamagedStateError) return err;
    throw err;
  }
  throw new Error('expected a DamagedStateError');
}

describe('decodeStored', () => {
  it('returns the decoded value when it matches its schema', () => {
    const value = { version: 'v1', key: 'ab'.repeat(32) };
    expect(decodeStoredJson(keyFile, JSON.stringify(value), where)).toEqual(value);
  });

  it('names the object and the field, never the value, when the shape is wrong', () => {
    const err = damage(() => decodeStored(keyFile, { version: 'v1', key: 'cafe1234secret' }, where));
    expect(err.message).toBe(
      'key file private/keys/k.json is damaged (field key: 64 hex characters): restore it from a backup',
    );
    expect(err.code).toBe('DAMAGED_STATE');
    const two = damage(() => decodeStored(keyFile, { key: 7 }, where));
    expect(two.problem).toBe(
      'field version: Invalid input: expected string, received undefined (and 1 more)',
    );
  });

  it('says truncated JSON ends early and where garbled JSON breaks, without quoting the text', () => {
    const text = JSON.stringify({ version: 'v1', key: 'cafe1234secret' });
    expect(damage(() => decodeStoredJson(keyFile, text.slice(0, 20), where)).problem).toBe(
      'not valid JSON: it ends early, as if truncated',
    );
    expect(damage(() => decodeStoredJson(keyFile, '', where)).problem).toBe('empty');
    // V8 quotes the text around an unexpected token: the problem must not.
    const garbled = damage(() => decodeStoredJson(keyFile, text.replace('":"cafe', '"cafe'), where));
    expect(garbled.problem).toBe('not valid JSON');
    expect(garbled.message).not.toContain('cafe');
    expect(damage(() => decodeStoredJson(keyFile, '{"version" "v1"}', where)).problem).toBe(
      'not valid JSON at character 12 of 16',
    );
  });

  it('keeps the properties an entity schema does not name, so a read-modify-write drops nothing', () => {
    const schema = entitySchema({ status: z.enum(['pending', 'done']) });
    const stored = { partitionKey: 'p', rowKey: 'r', status: 'done', added_later: 3 };
    expect(decodeStored(schema, stored, where)).toEqual(stored);
    expect(damage(() => decodeStored(schema, { ...stored, added_later: { x: 1 } }, where)).problem).toMatch(
      /^field added_later: /,
    );
  });
});

describe('damaged state at the edges', () => {
  const err = new DamagedStateError('budget entity (dau, 2016-08)', 'empty', 'restore it\nfrom a backup');

  it('is a one-line user error (exit 1) for the CLI', () => {
    expect(exitCodeFor(err)).toEqual({
      code: 1,
      message: 'dp-pipeline: budget entity (dau, 2016-08) is damaged (empty): restore it from a backup',
    });
  });

  it('is a server error (500) for HTTP: the client cannot repair it', () => {
    expect(statusFor(err)).toBe(500);
  });
});
