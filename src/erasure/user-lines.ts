import { gunzipSync, gzipSync } from 'node:zlib';
import type { BronzeFormat } from '../bronze/formats.js';
import { splitJsonItems } from '../bronze/json-items.js';
import { sqlList, sqlString, textListParam, type Engine } from '../engine/duckdb.js';
import type { KeyRing } from '../silver/key-ring.js';
import { lineStructSql, linkParams, linkSql, namesUserSql, userIdSql } from '../silver/transform-sql.js';

/**
 * A `"fullVisitorId"` or `"user_id"` key followed by its value's source text: a JSON string
 * (escapes kept) or a JSON number (digits kept). RE2 syntax, run by DuckDB.
 */
const NAMED_ID = String.raw`"(?:fullVisitorId|user_id)"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)`;

/**
 * The SQL giving `(i, link)` for every user that record `i` of `$records` names, where a record is
 * a Bronze line, a `.json` array item or the raw text of a quarantined line.
 *
 * A record ingest can attribute (it parses, and `userIdSql` gives a usable id) names exactly that
 * user: the same expressions as ingest, so the two cannot disagree. A record ingest cannot
 * attribute (not JSON, truncated, not an object, blank id) never reached Silver but may still name
 * users in its text: it names every user whose id follows a `"fullVisitorId"` / `"user_id"` key,
 * and each such value is read by putting it alone in a record (`{"fullVisitorId": <value>}`) and
 * applying the same expressions, so a number there reads exactly as it would at ingest too.
 * A number cut off at the end of a truncated line reads as the digits that are left.
 */
function namedLinksSql(): string {
  return `
WITH r AS (
  SELECT unnest($records::VARCHAR[]) AS text, generate_subscripts($records::VARCHAR[], 1) - 1 AS i
), parsed AS (
  SELECT i, text, ${lineStructSql('text')} AS j FROM r
), attributed AS (
  SELECT i, text, ${userIdSql('j')} AS u FROM parsed
), named AS (
  SELECT i, u FROM attributed WHERE ${namesUserSql('u')}
  UNION ALL
  SELECT i, ${userIdSql('j')} AS u FROM (
    SELECT i, ${lineStructSql(`'{"fullVisitorId":' || v || '}'`)} AS j FROM (
      SELECT i, unnest(regexp_extract_all(text, ${sqlString(NAMED_ID)}, 1)) AS v
      FROM attributed WHERE NOT ${namesUserSql('u')}
    )
  )
)
SELECT i, ${linkSql('u')} AS link FROM named WHERE ${namesUserSql('u')}`;
}

/**
 * The activity links (first-key-version pseudonyms) of the users each record names, by the rule
 * of `namedLinksSql`: usually one, none for a record that names nobody. Raw ids stay in DuckDB.
 */
export async function linksOfRecords(
  engine: Engine,
  ring: KeyRing,
  records: readonly string[],
): Promise<string[][]> {
  const out: string[][] = records.map(() => []);
  if (records.length === 0) return out;
  const rows = await engine.all<{ i: bigint; link: string }>(`${namedLinksSql()} ORDER BY i, link`, {
    ...linkParams(ring),
    records: textListParam(records),
  });
  for (const row of rows) {
    const links = out[Number(row.i)]!;
    if (!links.includes(row.link)) links.push(row.link);
  }
  return out;
}

/** The indexes of the records that name one of the users in `links`. */
export async function erasedRecords(
  engine: Engine,
  ring: KeyRing,
  links: ReadonlySet<string>,
  records: readonly string[],
): Promise<Set<number>> {
  if (records.length === 0 || links.size === 0) return new Set();
  const rows = await engine.all<{ i: bigint }>(
    `SELECT DISTINCT i FROM (${namedLinksSql()}) WHERE link IN (SELECT unnest(${sqlList([...links])}::VARCHAR[]))`,
    { ...linkParams(ring), records: textListParam(records) },
  );
  return new Set(rows.map((r) => Number(r.i)));
}

const GZIP_MAGIC = [0x1f, 0x8b];
const BOM = '\ufeff';

/**
 * A Bronze blob without the records of erased users, read as ingest reads it: a `.json` blob
 * item by item (an array) or as one record, anything else line by line; same compression as it
 * came, and every kept record byte for byte. Returns undefined when nothing had to go.
 */
export async function withoutErasedRecords(
  body: Buffer,
  format: BronzeFormat,
  engine: Engine,
  ring: KeyRing,
  links: ReadonlySet<string>,
): Promise<{ body: Buffer; removed: number } | undefined> {
  const gz = body[0] === GZIP_MAGIC[0] && body[1] === GZIP_MAGIC[1];
  const text = (gz ? gunzipSync(body) : body).toString('utf8');
  let out: string;
  let removed: number;
  const whole = format === 'json' ? splitJsonItems(Buffer.from(text, 'utf8')) : undefined;
  if (whole?.array) {
    const drop = await erasedRecords(
      engine,
      ring,
      links,
      whole.items.map((i) => i.staged),
    );
    removed = drop.size;
    out = `[${whole.items
      .filter((_, i) => !drop.has(i))
      .map((i) => i.source)
      .join(',\n')}]`;
  } else if (whole && whole.items.length > 0) {
    removed = (
      await erasedRecords(
        engine,
        ring,
        links,
        whole.items.map((i) => i.staged),
      )
    ).size;
    out = '[]'; // a .json blob of one record
  } else {
    // Not a JSON value as a whole (ingest quarantined it whole): read it line by line for named users.
    const lines = text.split('\n');
    // Read as the framer does (no BOM, no CR); kept lines are written back as they were.
    const records = lines.map((l, i) => (i === 0 && l.startsWith(BOM) ? l.slice(1) : l).replace(/\r$/, ''));
    const drop = await erasedRecords(engine, ring, links, records);
    removed = drop.size;
    out = lines.filter((_, i) => !drop.has(i)).join('\n');
  }
  if (removed === 0) return undefined;
  const bytes = Buffer.from(out, 'utf8');
  return { body: gz ? gzipSync(bytes) : bytes, removed };
}
