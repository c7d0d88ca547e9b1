import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { ingestEvents, parseEvent } from '../../src/pipeline/events.js';
import type { FsLake } from '../../src/storage/index.js';
import { tempLake } from '../helpers/lake.js';

let lake: FsLake;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ lake, cleanup } = await tempLake()));
afterEach(() => cleanup());

describe('ingestEvents', () => {
  it('accepts timestamps as ISO time, date, Unix seconds, and the wire format day', () => {
    const at = (e: unknown): number => parseEvent(e, 'e').seconds;
    expect(at({ user_id: 'u', timestamp: '2016-08-01T10:00:00Z' })).toBe(1470045600);
    expect(at({ user_id: 'u', timestamp: '2016-08-01T12:00:00+02:00' })).toBe(1470045600);
    expect(at({ user_id: 'u', timestamp: 1470045600 })).toBe(1470045600);
    expect(at({ user_id: 'u', timestamp: '1470045600' })).toBe(1470045600);
    expect(at({ user_id: 'u', timestamp: '2016-08-01' })).toBe(1470009600);
    expect(at({ user_id: 'u', op: '+', day: '2016-08-01' })).toBe(1470009600);
    for (const bad of [
      { user_id: 'u', timestamp: 1.5 },
      { user_id: 'u', timestamp: '2016-08-01 10:00' },
      { user_id: 'u', timestamp: '2016-08-01T10:00:00' }, // no zone: ambiguous
      { user_id: 'u', timestamp: 1470045600000 }, // milliseconds
      { user_id: 'u' },
      { user_id: ' ', timestamp: 1 },
      'u,1',
    ]) {
      expect(() => parseEvent(bad, 'event 1'), JSON.stringify(bad)).toThrow(UserError);
    }
  });

  it('writes one new Bronze blob in the flat event shape, or nothing when any event is bad', async () => {
    await expect(
      ingestEvents(lake, [
        { user_id: 'a', timestamp: '2016-08-01' },
        { user_id: 'b', timestamp: 'soon' },
      ]),
    ).rejects.toThrow(/^event 2: timestamp: "soon" is not/);
    await expect(ingestEvents(lake, [])).rejects.toThrow(/no events/);
    const { key, ingested } = await ingestEvents(
      lake,
      [{ user_id: 'a', timestamp: '2016-08-01T00:00:05Z' }],
      {
        now: new Date('2026-11-23T12:00:00Z'),
      },
    );
    expect(ingested).toBe(1);
    expect(key).toMatch(/^events\/ingest\/2026-11-23\/20261123T120000Z-[0-9a-f]{8}\.ndjson$/);
    const keys: string[] = [];
    for await (const obj of lake.objects('bronze').list('')) keys.push(obj.key);
    expect(keys).toEqual([key]);
    expect(JSON.parse((await lake.objects('bronze').read(key)).toString())).toEqual({
      user_id: 'a',
      visitId: '1470009605',
      visitStartTime: '1470009605',
      visitNumber: '1',
      date: '20160801',
      summary: { num_hits: 1 },
    });
  });
});
