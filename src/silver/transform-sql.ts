import type { RejectionCode } from '../bronze/rejection.js';
import type { Relation } from '../engine/relation.js';
import type { KeyRing } from './key-ring.js';
import { pseudonymSql } from './pseudonym.js';

/**
 * The SQL that turns staged Bronze lines into typed Silver rows or rejections. One JSON parse
 * per line (`json_transform` into a STRUCT of text fields) reads both Bronze shapes: the GA360
 * BigQuery export (`totals.*`, integers as strings) and the flat event shape (`summary.*`).
 */

const PATHS = [
  '$.fullVisitorId',
  '$.user_id',
  '$.visitId',
  '$.visitNumber',
  '$.visitStartTime',
  '$.date',
  '$.totals.hits',
  '$.summary.num_hits',
  '$.totals.pageviews',
  '$.summary.num_pageviews',
  '$.totals.timeOnSite',
  '$.summary.total_time_on_page',
  '$.totals.bounces',
  '$.totals.transactions',
  '$.totals.transactionRevenue',
  '$.totals.newVisits',
  '$.trafficSource.source',
  '$.trafficSource.campaign',
  '$.device.browser',
  '$.device.deviceCategory',
  '$.geoNetwork.continent',
  '$.geoNetwork.country',
  '$.channelGrouping',
] as const;

type Path = (typeof PATHS)[number];

/** The struct field holding `path`, e.g. `struct_extract(struct_extract(j, 'totals'), 'hits')`. */
const at = (path: Path, root = 'j'): string =>
  path
    .slice(2)
    .split('.')
    .reduce((expr, field) => `struct_extract(${expr}, '${field}')`, root);

/** The `json_transform` type: every leaf as VARCHAR (numbers arrive as text, validated below). */
function structType(): string {
  const root: Record<string, unknown> = {};
  for (const path of PATHS) {
    const parts = path.slice(2).split('.');
    let node = root;
    parts.slice(0, -1).forEach((p) => (node = (node[p] ??= {}) as Record<string, unknown>));
    node[parts.at(-1)!] = 'VARCHAR';
  }
  return JSON.stringify(root);
}

export const DEVICE_CATEGORIES = ['desktop', 'mobile', 'tablet'] as const;
export const CONTINENTS = ['Africa', 'Americas', 'Asia', 'Europe', 'Oceania', '(not set)'] as const;
export const NOT_SET = '(not set)';
const MAX_TEXT = 256;
const MAX_USER_ID = 128;

interface Field {
  readonly name: string;
  readonly expr: string;
}

/**
 * The one parse of a Bronze line (NDJSON line or `.json` array item, as text): the STRUCT every
 * field is read from, NULL when the line is not JSON. Ingest and erasure both read users through it.
 */
export const lineStructSql = (line: string): string => `try(json_transform(${line}, '${structType()}'))`;

/**
 * The raw user id of a parsed line `j` (from {@link lineStructSql}): `fullVisitorId`, else
 * `user_id`, as text. A JSON string is unescaped; a JSON integer keeps its digits exactly (however
 * long); other numbers read as DuckDB renders them (`1.50` → `1.5`, `1e3` → `1000.0`). This is the
 * identity rule: erasure finds a user's lines with this same expression, never with a JS parse.
 */
export const userIdSql = (j: string): string =>
  `coalesce(${at('$.fullVisitorId', j)}, ${at('$.user_id', j)})`;

/** Whether raw id `u` names a user (ingest gives such lines a link; the checks below reject others). */
export const namesUserSql = (u: string): string =>
  `(${u} IS NOT NULL AND trim(${u}) <> '' AND length(${u}) <= ${MAX_USER_ID})`;

/** The activity link of raw id `u`: its pseudonym under the first key version (`linkParams`). */
export const linkSql = (u: string): string => pseudonymSql(u, 'k0_');

const userId: Field = { name: 'fullVisitorId', expr: userIdSql('j') };
/** Counters: [json path(s) expression, column alias of the raw text, name in messages]. */
const counters: readonly (Field & { readonly alias: string })[] = [
  {
    alias: 'c_hits',
    name: 'totals.hits',
    expr: `coalesce(${at('$.totals.hits')}, ${at('$.summary.num_hits')})`,
  },
  {
    alias: 'c_pageviews',
    name: 'totals.pageviews',
    expr: `coalesce(${at('$.totals.pageviews')}, ${at('$.summary.num_pageviews')})`,
  },
  { alias: 'c_tos', name: 'totals.timeOnSite', expr: at('$.totals.timeOnSite') },
  { alias: 'c_top', name: 'summary.total_time_on_page', expr: at('$.summary.total_time_on_page') },
  { alias: 'c_bounces', name: 'totals.bounces', expr: at('$.totals.bounces') },
  { alias: 'c_transactions', name: 'totals.transactions', expr: at('$.totals.transactions') },
  { alias: 'c_revenue', name: 'totals.transactionRevenue', expr: at('$.totals.transactionRevenue') },
  { alias: 'c_new', name: 'totals.newVisits', expr: at('$.totals.newVisits') },
  { alias: 'c_visit_number', name: 'visitNumber', expr: at('$.visitNumber') },
];
const texts: readonly (Field & { readonly alias: string })[] = [
  { alias: 't_source', name: 'trafficSource.source', expr: at('$.trafficSource.source') },
  { alias: 't_campaign', name: 'trafficSource.campaign', expr: at('$.trafficSource.campaign') },
  { alias: 't_browser', name: 'device.browser', expr: at('$.device.browser') },
  { alias: 't_country', name: 'geoNetwork.country', expr: at('$.geoNetwork.country') },
  { alias: 't_channel', name: 'channelGrouping', expr: at('$.channelGrouping') },
];
/** `device` may be an object or a bare string meaning the category (the event shape): read lazily. */
const bareDevice = `try(json_extract_string(line, '$.device'))`;
const deviceExpr = `lower(trim(coalesce(${at('$.device.deviceCategory')}, CASE WHEN j IS NOT NULL AND ${at('$.device.deviceCategory')} IS NULL THEN (CASE WHEN left(${bareDevice}, 1) <> '{' THEN ${bareDevice} END) END)))`;

const quoteValue = (col: string): string => `left(to_json(${col})::VARCHAR, 80)`;
const isCount = (col: string): string => `regexp_full_match(${col}, '[0-9]{1,12}')`;

/** The checks, in order: the first that holds rejects the line. [condition, code, message]. */
function checks(): [string, RejectionCode, string][] {
  const list: [string, RejectionCode, string][] = [
    ['j IS NULL', 'not_json', `'line is not valid JSON'`],
    [`left(ltrim(line), 1) <> '{'`, 'not_object', `'line is JSON but not an object'`],
    [`u IS NULL OR trim(u) = ''`, 'missing_field', `'fullVisitorId: missing (the user id is required)'`],
    [`length(u) > ${MAX_USER_ID}`, 'out_of_range', `'fullVisitorId: longer than ${MAX_USER_ID} characters'`],
    [`visit_id IS NULL OR visit_id = ''`, 'missing_field', `'visitId: missing (the session id is required)'`],
    [
      `NOT regexp_full_match(visit_id, '[0-9]{1,20}')`,
      'invalid_integer',
      `'visitId: ' || ${quoteValue('visit_id')} || ' is not an integer id'`,
    ],
    [`date_text IS NULL`, 'missing_field', `'date: missing (YYYYMMDD required)'`],
    [
      `NOT regexp_full_match(date_text, '(19[7-9][0-9]|2[01][0-9][0-9])(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])') OR try_strptime(date_text, '%Y%m%d') IS NULL`,
      'invalid_date',
      `'date: ' || ${quoteValue('date_text')} || ' is not a valid YYYYMMDD date'`,
    ],
    [`start_text IS NULL`, 'missing_field', `'visitStartTime: missing (Unix seconds required)'`],
    [
      `NOT regexp_full_match(start_text, '[0-9]{1,11}')`,
      'invalid_integer',
      `'visitStartTime: ' || ${quoteValue('start_text')} || ' is not Unix seconds'`,
    ],
  ];
  for (const c of counters) {
    list.push([
      `${c.alias} IS NOT NULL AND NOT ${isCount(c.alias)}`,
      'invalid_integer',
      `'${c.name}: ' || ${quoteValue(c.alias)} || ' is not a non-negative integer'`,
    ]);
  }
  for (const t of texts) {
    list.push([
      `length(${t.alias}) > ${MAX_TEXT}`,
      'out_of_range',
      `'${t.name}: longer than ${MAX_TEXT} characters'`,
    ]);
  }
  list.push([
    `device IS NOT NULL AND device NOT IN ('', ${DEVICE_CATEGORIES.map((d) => `'${d}'`).join(', ')}, '(not set)')`,
    'invalid_enum',
    `'device.deviceCategory: ' || ${quoteValue('device')} || ' is not one of ${DEVICE_CATEGORIES.join(', ')}'`,
  ]);
  list.push([
    `continent IS NOT NULL AND continent NOT IN ('', ${CONTINENTS.map((c) => `'${c}'`).join(', ')})`,
    'invalid_enum',
    `'geoNetwork.continent: ' || ${quoteValue('continent')} || ' is not one of ${CONTINENTS.join(', ')}'`,
  ]);
  return list;
}

const textOrNotSet = (col: string): string => `coalesce(nullif(trim(${col}), ''), '${NOT_SET}')`;
const int = (col: string, type = 'BIGINT'): string => `CAST(${col} AS ${type})`;

/** Columns of the staged Bronze lines `parseSelect` reads: blob index, 1-based line number, text. */
export const STAGED_COLUMNS = ['blob', 'line_no', 'line'] as const;

/**
 * One streaming pass over the staged lines (`staged`, read once): each line is parsed once,
 * checked, and either typed and pseudonymized (under the key version in force on its date) or
 * given its rejection reason. Only rejected lines keep their raw text. Every line naming a user
 * also gets `user_link`, the user's pseudonym under the first key version (the activity ledger's
 * id, stable across rotations). The result has the columns `PARSED_COLUMNS`; it needs the
 * parameters `keyRingParams(ring)`.
 */
export function parseSelect(
  staged: Relation<(typeof STAGED_COLUMNS)[number]>,
  keys: readonly KeySchedule[],
): string {
  const list = checks();
  const failed = `CASE ${list.map((c, i) => `WHEN ${c[0]} THEN ${i}`).join('\n      ')} END`;
  const codes = `[${list.map((c) => `'${c[1]}'`).join(', ')}]`;
  const reason = `CASE failed ${list.map((c, i) => `WHEN ${i} THEN ${c[2]}`).join('\n      ')} END`;
  const ok = 'failed IS NULL';
  const timeMs = `coalesce(${int('c_tos')} * 1000, ${int('c_top')})`;
  const silver = (expr: string): string => `CASE WHEN ${ok} THEN ${expr} END`;
  const dateExpr = "CAST(strptime(date_text, '%Y%m%d') AS DATE)";
  // The version in force on the row's date: the latest whose effective date is not after it.
  const byVersion = (value: (k: KeySchedule, i: number) => string): string => {
    const rotated = keys
      .map((k, i) => ({ k, i }))
      .filter(({ k }) => k.effective !== null)
      .reverse()
      .map(({ k, i }) => `WHEN ${dateExpr} >= DATE '${k.effective}' THEN ${value(k, i)}`);
    const first = value(keys[0]!, 0);
    return rotated.length === 0 ? first : `CASE ${rotated.join(' ')} ELSE ${first} END`;
  };
  const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;
  return `
WITH e AS (
  SELECT blob, line_no, line, ${lineStructSql('line')} AS j
  FROM ${staged.ref}
), t AS (
  SELECT blob, line_no, line, j,
    ${userId.expr} AS u, ${at('$.visitId')} AS visit_id, ${at('$.date')} AS date_text, ${at('$.visitStartTime')} AS start_text,
    ${counters.map((c) => `${c.expr} AS ${c.alias}`).join(', ')},
    ${texts.map((c) => `${c.expr} AS ${c.alias}`).join(', ')},
    ${deviceExpr} AS device, trim(${at('$.geoNetwork.continent')}) AS continent
  FROM e
), v AS (
  SELECT *, ${failed} AS failed FROM t
), out AS (
SELECT blob, line_no, u,
  ${codes}[failed + 1] AS reason_code,
  CASE WHEN NOT (${ok}) THEN ${reason} END AS reason,
  CASE WHEN NOT (${ok}) THEN line END AS raw,
  ${silver(dateExpr)} AS date,
  ${silver('visit_id')} AS session_id,
  ${silver(byVersion((_, i) => pseudonymSql('u', `k${i}_`)))} AS user_pseudonym,
  ${silver(byVersion((k) => quote(k.version)))} AS key_version,
  ${silver(int('c_visit_number', 'INTEGER'))} AS visit_number,
  ${silver(`CAST(make_timestamp(${int('start_text')} * 1000000) AS TIMESTAMP)`)} AS visit_start_time,
  ${silver(`CASE WHEN continent IS NULL OR continent = '' THEN '${NOT_SET}' ELSE continent END`)} AS continent,
  ${silver(textOrNotSet('t_country'))} AS country,
  ${silver(`CASE WHEN device IS NULL OR device = '' THEN '${NOT_SET}' ELSE device END`)} AS device_category,
  ${silver(textOrNotSet('t_browser'))} AS browser,
  ${silver(textOrNotSet('t_channel'))} AS channel,
  ${silver(textOrNotSet('t_source'))} AS traffic_source,
  ${silver(textOrNotSet('t_campaign'))} AS campaign,
  ${silver(`coalesce(${int('c_hits', 'INTEGER')}, 0)`)} AS hits,
  ${silver(int('c_pageviews', 'INTEGER'))} AS pageviews,
  ${silver(timeMs)} AS time_on_site_ms,
  ${silver(`coalesce(${int('c_bounces', 'INTEGER')}, 0)`)} AS bounces,
  ${silver(`coalesce(${int('c_transactions', 'INTEGER')}, 0)`)} AS transactions,
  ${silver(`coalesce(${int('c_revenue')}, 0)`)} AS revenue_micros,
  ${silver(`coalesce(${int('c_new', 'INTEGER')}, 0) = 1`)} AS new_visit
FROM v
)
-- The activity link is the first version's pseudonym: already computed for rows under it.
SELECT * EXCLUDE (u),
  CASE WHEN ${namesUserSql('u')} THEN
    (CASE WHEN key_version = ${quote(keys[0]!.version)} THEN user_pseudonym ELSE ${linkSql('u')} END)
  END AS user_link
FROM out`;
}

/** A key version and the first date it applies to (null: from the beginning), oldest first. */
export interface KeySchedule {
  readonly version: string;
  readonly effective: string | null;
}

/** The HMAC pad parameters `parseSelect` expects for `ring`: `$k<i>_ipad/opad`. */
export function keyRingParams(ring: KeyRing): Record<string, string> {
  const params: Record<string, string> = {};
  ring.versions.forEach((v, i) => {
    const pads = v.key.hmacPads();
    params[`k${i}_ipad`] = pads.ipad;
    params[`k${i}_opad`] = pads.opad;
  });
  return params;
}

/** The HMAC pad parameters `linkSql` expects for `ring` (a subset of `keyRingParams`). */
export function linkParams(ring: KeyRing): Record<string, string> {
  const pads = ring.link.hmacPads();
  return { k0_ipad: pads.ipad, k0_opad: pads.opad };
}

/** The key schedule of `ring` for `parseSelect`. */
export function keySchedule(ring: KeyRing): KeySchedule[] {
  return ring.versions.map((v) => ({ version: v.key.version, effective: v.effective }));
}

/** The Silver columns, in file order. */
export const SILVER_COLUMNS = [
  'date',
  'session_id',
  'user_pseudonym',
  'key_version',
  // The person's link where it is not the pseudonym (see SILVER_SELECT).
  'user_link',
  'visit_number',
  'visit_start_time',
  'continent',
  'country',
  'device_category',
  'browser',
  'channel',
  'traffic_source',
  'campaign',
  'hits',
  'pageviews',
  'time_on_site_ms',
  'bounces',
  'transactions',
  'revenue_micros',
  'new_visit',
] as const;

type SilverColumn = (typeof SILVER_COLUMNS)[number];

/** Columns of `parseSelect`'s result: position, rejection (or null), the Silver columns, the user link last. */
export const PARSED_COLUMNS: readonly (
  'blob' | 'line_no' | 'reason_code' | 'reason' | 'raw' | SilverColumn
)[] = [
  'blob',
  'line_no',
  'reason_code',
  'reason',
  'raw',
  ...SILVER_COLUMNS.filter((c): c is Exclude<SilverColumn, 'user_link'> => c !== 'user_link'),
  'user_link',
];

/**
 * The Silver columns as computed from `parsed`. `user_link` is kept only where it differs from
 * `user_pseudonym`, i.e. on rows under a later key version: under the first version the
 * pseudonym is the link, so Silver stays as small as before rotations. A row's privacy unit, the
 * person across key versions, is `coalesce(user_link, user_pseudonym)`.
 */
export const SILVER_SELECT = SILVER_COLUMNS.map((c) =>
  c === 'user_link' ? 'nullif(user_link, user_pseudonym) AS user_link' : c,
).join(', ');
