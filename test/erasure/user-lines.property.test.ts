import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { splitJsonItems } from '../../src/bronze/json-items.js';
import { textListParam } from '../../src/engine/duckdb.js';
import { linksOfRecords, withoutErasedRecords } from '../../src/erasure/user-lines.js';
import { Xoshiro128, type Random } from '../../src/generate/prng.js';
import { KeyRing } from '../../src/silver/key-ring.js';
import { PseudonymKey, type RawUserId } from '../../src/silver/pseudonym.js';
import {
  keyRingParams,
  keySchedule,
  PARSED_COLUMNS,
  parseSelect,
  STAGED_COLUMNS,
} from '../../src/silver/transform-sql.js';
import { withTempRelations } from '../../src/engine/relation.js';
import { useTempEngine } from '../helpers/lake.js';

/**
 * The erasure side reads the same user from a Bronze line as ingest does. Random lines (string
 * ids with every escape form, integer ids far above 2^53, other numbers, both field names, keys
 * given twice, nested look-alikes, blank and over-long ids, truncated lines, junk naming an id)
 * are run through ingest's own SQL (`parseSelect`, as `ingest` runs it) and through the erasure
 * parse (`linksOfRecords`, `withoutErasedRecords`). Fixed seeds, exact comparisons: the
 * false-failure rate is 0.
 */

const SEEDS = ['identity-1', 'identity-2', 'identity-3'];
const LINES_PER_SEED = 400;
const ring = new KeyRing([
  { key: PseudonymKey.fromBytes('v1', Buffer.alloc(32, 7)), effective: null },
  { key: PseudonymKey.fromBytes('v2', Buffer.alloc(32, 9)), effective: '2016-08-15' },
]);
const linkOf = (raw: string): string => ring.link.pseudonymize(raw as RawUserId);
const engineHolder = useTempEngine();

const pick = <T>(rng: Random, items: readonly T[]): T => items[rng.int(items.length)]!;
const chance = (rng: Random, p: number): boolean => rng.float() < p;

const ID_CHARS = [...'0123456789abcdefXYZ', ...` "\\/'{}[],:-_.`, 'é', '😀', '\n', '\t', '\u0001', '\u2028'];

/** `s` as a JSON string literal, each character written in one of the forms JSON allows. */
function jsonString(rng: Random, s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\n': '\\n', '\t': '\\t' };
    const mustEscape = ch === '"' || ch === '\\' || code < 0x20;
    const form = rng.int(3);
    if (form === 0 && short[ch] !== undefined) out += short[ch];
    else if (form === 1 || (mustEscape && short[ch] === undefined))
      out += [...Buffer.from(ch, 'utf16le').swap16().toString('hex').matchAll(/..../g)]
        .map((m) => `\\u${rng.int(2) === 0 ? m[0] : m[0].toUpperCase()}`)
        .join('');
    else if (mustEscape) out += short[ch];
    else out += ch;
  }
  return `${out}"`;
}

/** An id value: its JSON source text and, when the rule is simple to state, the raw id ingest must read. */
interface IdValue {
  readonly text: string;
  readonly raw?: string;
}

function idValue(rng: Random): IdValue {
  const kind = rng.int(10);
  if (kind <= 3) {
    // An integer like a GA360 fullVisitorId: mostly above 2^53, some beyond 2^64.
    const len = pick(rng, [1, 5, 17, 18, 19, 19, 19, 20, 20, 25]);
    let digits = String(1 + rng.int(9));
    while (digits.length < len) digits += String(rng.int(10));
    const text = chance(rng, 0.1) ? `-${digits}` : digits;
    return { text, raw: text };
  }
  if (kind === 4) {
    // The same digits as a string: the same user as the number.
    let digits = String(1 + rng.int(9));
    while (digits.length < 19) digits += String(rng.int(10));
    return { text: jsonString(rng, digits), raw: digits };
  }
  if (kind === 5) {
    // Other numbers: ingest's rendering is the rule (no oracle of our own).
    return { text: pick(rng, ['1.50', '-0.25', '1e3', '2E+5', '7e-7', '1.2345678901234567890123', '1e400']) };
  }
  if (kind === 6 && chance(rng, 0.4)) {
    const blank = pick(rng, ['', '   ', 'x'.repeat(129)]); // names nobody
    return { text: jsonString(rng, blank), raw: blank };
  }
  if (kind === 6 && chance(rng, 0.2)) return { text: pick(rng, ['true', '{"a": 1}']) }; // not a plain value
  let s = '';
  const len = 1 + rng.int(24);
  while (s.length < len) s += pick(rng, ID_CHARS);
  if (s.trim() === '') s = `u${s}`;
  return { text: jsonString(rng, s), raw: s };
}

/** Whether an id value is a JSON string or number (the values a line that does not parse can still show). */
const isPlain = (v: IdValue): boolean => v.text.startsWith('"') || /^-?[0-9]/.test(v.text);

interface Line {
  /** The line as uploaded. */
  readonly text: string;
  /** The value ingest must read the user from (first `fullVisitorId`, else first `user_id`; null skipped). */
  readonly chosen?: IdValue;
  /** Where the last top-level id value ends: a line cut after it still shows the id. */
  readonly idEnd: number;
  /** Every id value in the line, nested look-alikes included (the most any reading may find). */
  readonly values: readonly string[];
}

const space = (rng: Random): string => pick(rng, ['', '', ' ', '  ', '\t']);

function line(rng: Random): Line {
  const date = `201608${String(1 + rng.int(28)).padStart(2, '0')}`; // both sides of the v2 rotation
  const fields: [string, string][] = [
    ['visitId', '"1470046245"'],
    ['visitStartTime', '"1470046245"'],
    ['date', `"${date}"`],
    ['totals', '{"hits": "3", "pageviews": "2"}'],
    ['device', '{"deviceCategory": "desktop"}'],
  ];
  const ids: [string, IdValue | null][] = [];
  const field = pick(rng, ['fullVisitorId', 'user_id']);
  ids.push([field, idValue(rng)]);
  if (chance(rng, 0.15)) {
    // Both names: fullVisitorId wins over user_id, unless it is null.
    ids.push([
      field === 'fullVisitorId' ? 'user_id' : 'fullVisitorId',
      chance(rng, 0.3) ? null : idValue(rng),
    ]);
  }
  if (chance(rng, 0.05)) ids.push([field, idValue(rng)]); // a key given twice: ingest reads the first
  const values = ids.flatMap(([, v]) => (v ? [v.text] : []));
  if (chance(rng, 0.1)) {
    // A look-alike below the top level never names the line's user.
    const nested = idValue(rng);
    values.push(nested.text);
    fields.push(['customDimensions', `{"user_id": ${nested.text}}`]);
  }
  const first = (name: string): IdValue | null | undefined => ids.find(([k]) => k === name)?.[1];
  const chosen = first('fullVisitorId') ?? first('user_id') ?? undefined;
  const at = rng.int(fields.length + 1);
  const all: [string, string, boolean][] = [
    ...fields.slice(0, at).map(([k, v]): [string, string, boolean] => [k, v, false]),
    ...ids.map(([k, v]): [string, string, boolean] => [k, v?.text ?? 'null', true]),
    ...fields.slice(at).map(([k, v]): [string, string, boolean] => [k, v, false]),
  ];
  let text = '{';
  let idEnd = -1;
  all.forEach(([k, v, isId], i) => {
    text += `${i > 0 ? ',' : ''}${space(rng)}"${k}"${space(rng)}:${space(rng)}${v}`;
    if (isId) idEnd = text.length;
  });
  text += `${space(rng)}}`;
  return { text, chosen, idEnd, values };
}

/** Ingest's `user_link` of each line, from ingest's own SQL over the lines staged as `ingest` stages them. */
async function ingestLinks(lines: readonly string[]): Promise<(string | null)[]> {
  const engine = engineHolder.engine;
  const rows = await withTempRelations(engine, async (rel) => {
    const staged = await rel.table(
      'staged_lines',
      STAGED_COLUMNS,
      `SELECT 0 AS blob, generate_subscripts($l::VARCHAR[], 1)::BIGINT AS line_no, unnest($l::VARCHAR[]) AS line`,
      { l: textListParam(lines) },
    );
    const parsed = await rel.table(
      'parsed',
      PARSED_COLUMNS,
      parseSelect(staged, keySchedule(ring)),
      keyRingParams(ring),
    );
    return engine.all<{ line_no: bigint; user_link: string | null }>(
      `SELECT line_no, user_link FROM ${parsed.ref} ORDER BY line_no`,
    );
  });
  expect(rows).toHaveLength(lines.length);
  return rows.map((r) => r.user_link);
}

/** The link ingest gives each id value alone in a record (none: it names nobody). */
async function linksOfValues(values: readonly string[]): Promise<Map<string, string | null>> {
  const unique = [...new Set(values)];
  const links = await ingestLinks(unique.map((v) => `{"fullVisitorId": ${v}}`));
  return new Map(unique.map((v, i) => [v, links[i] ?? null]));
}

/** The number a cut line ends in, if any: `…"user_id": 5637` may be a longer id cut short. */
const trailingNumber = (text: string): string[] =>
  /:\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)[.eE+-]*$/.exec(text)?.slice(1) ?? [];

describe('one identity parse for ingest and erasure (property, fixed seeds)', () => {
  for (const seed of SEEDS) {
    it(`reads the same user from every line as ingest does (${seed})`, async () => {
      const rng = Xoshiro128.fromSeed(seed);
      const lines = Array.from({ length: LINES_PER_SEED }, () => line(rng));
      const ingest = await ingestLinks(lines.map((l) => l.text));
      const erasure = await linksOfRecords(
        engineHolder.engine,
        ring,
        lines.map((l) => l.text),
      );
      const values = await linksOfValues(lines.flatMap((l) => l.values));
      let oracles = 0;
      for (const [i, l] of lines.entries()) {
        const got = ingest[i] ?? null;
        if (got !== null) {
          // A line ingest attributes names exactly that user on the erasure side.
          expect(erasure[i], l.text).toEqual([got]);
        } else {
          // A line ingest cannot attribute: erasure may find only users the line's text names.
          const named = l.values.map((v) => values.get(v));
          for (const link of erasure[i]!) expect(named, l.text).toContain(link);
        }
        const raw = l.chosen?.raw;
        if (raw !== undefined) {
          // The independent oracle: strings unescaped, integers digit for digit (never a double).
          expect(got, l.text).toBe(raw.trim() === '' || raw.length > 128 ? null : linkOf(raw));
          oracles++;
        }
      }
      expect(oracles).toBeGreaterThan(LINES_PER_SEED / 2);
      expect(ingest.filter((x) => x !== null).length).toBeGreaterThan(LINES_PER_SEED / 2);
    });

    it(`finds the user of a line cut anywhere after its id, and of junk showing the id (${seed})`, async () => {
      const rng = Xoshiro128.fromSeed(`${seed}-cut`);
      const complete = Array.from({ length: LINES_PER_SEED }, () => line(rng));
      const ingest = await ingestLinks(complete.map((l) => l.text));
      const cut = complete.map((l) => l.text.slice(0, l.idEnd + rng.int(l.text.length - 1 - l.idEnd)));
      const junk = complete.map((l) => `oops, ${l.text.slice(1, l.idEnd)} and more`);
      expect(await ingestLinks(cut)).toEqual(cut.map(() => null)); // not JSON: ingest names nobody
      const erasedCut = await linksOfRecords(engineHolder.engine, ring, cut);
      const erasedJunk = await linksOfRecords(engineHolder.engine, ring, junk);
      const values = await linksOfValues([
        ...complete.flatMap((l) => l.values),
        ...cut.flatMap(trailingNumber),
      ]);
      let checked = 0;
      for (const [i, l] of complete.entries()) {
        // A number cut short at the end of a line reads as the digits left: the id may be longer.
        const named = [...l.values, ...trailingNumber(cut[i]!)].map((v) => values.get(v));
        for (const links of [erasedCut[i]!, erasedJunk[i]!]) {
          for (const link of links) expect(named, cut[i]).toContain(link);
          if (ingest[i] && l.chosen && isPlain(l.chosen)) {
            expect(links, cut[i]).toContain(ingest[i]);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(LINES_PER_SEED);
    });

    it(`removes exactly the erased users' records from NDJSON and .json blobs, keeping the rest byte for byte (${seed})`, async () => {
      const rng = Xoshiro128.fromSeed(`${seed}-blob`);
      const generated = Array.from({ length: 300 }, () => line(rng).text);
      const attributed = await ingestLinks(generated);
      const lines = generated.filter((_, i) => attributed[i] !== null);
      const sep = (): string => pick(rng, [',', ',\n', ' ,\r\n  ']);
      const array = `[\n${lines.map((t, i) => (i === 0 ? '' : sep()) + t).join('')}\n]`;
      const read = splitJsonItems(Buffer.from(array));
      if (!read?.array) throw new Error('the generated array must be valid JSON');
      const staged = await ingestLinks(read.items.map((i) => i.staged)); // what ingest reads from the .json blob
      expect(staged).toEqual(await ingestLinks(lines));
      const erased = new Set(staged.filter((x): x is string => x !== null && chance(rng, 0.3)));
      const keep = lines.filter((_, i) => !erased.has(staged[i]!));
      expect(keep.length).toBeLessThan(lines.length);

      const nd = await withoutErasedRecords(
        gzipSync(lines.join('\n') + '\n'),
        'ndjson',
        engineHolder.engine,
        ring,
        erased,
      );
      expect(gunzipSync(nd!.body).toString()).toBe(keep.join('\n') + '\n');
      expect(nd!.removed).toBe(lines.length - keep.length);

      const js = await withoutErasedRecords(Buffer.from(array), 'json', engineHolder.engine, ring, erased);
      expect(js!.removed).toBe(lines.length - keep.length);
      expect(splitJsonItems(js!.body)?.items.map((i) => i.staged)).toEqual(keep);
    });
  }
});
