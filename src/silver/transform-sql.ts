import { pseudonymSql } from './pseudonym.js';

/**
 * The SQL that turns staged Bronze lines into typed Silver rows or rejections. One JSON parse
 * per line (`json_extract_string` with a list of paths) reads both Bronze shapes: the GA360
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
  '$.device',
  '$.geoNetwork.continent',
  '$.geoNetwork.country',
  '$.channelGrouping',
] as const;

const at = (path: (typeof PATHS)[number]): string => `f[${PATHS.indexOf(path) + 1}]`;

export const DEVICE_CATEGORIES = ['desktop', 'mobile', 'tablet'] as const;
export const CONTINENTS = ['Africa', 'Americas', 'Asia', 'Europe', 'Oceania', '(not set)'] as const;
export const NOT_SET = '(not set)';
const MAX_TEXT = 256;
const INT = `'^[0-9]{1,12}$'`;

/** Step 1: extract raw fields (still text) from every staged line. */
export const EXTRACT_SQL = `
CREATE OR REPLACE TEMP TABLE extracted AS
SELECT blob, line_no, line, ok_json,
       CASE WHEN ok_json AND json_type(line) = 'OBJECT'
            THEN json_extract_string(line, [${PATHS.map((p) => `'${p}'`).join(', ')}]) END AS f
FROM (SELECT blob, line_no, line, json_valid(line) AS ok_json FROM staged)`;

interface Field {
  readonly name: string;
  readonly expr: string;
}

const userId: Field = { name: 'fullVisitorId', expr: `coalesce(${at('$.fullVisitorId')}, ${at('$.user_id')})` };
const counters: readonly Field[] = [
  { name: 'totals.hits', expr: `coalesce(${at('$.totals.hits')}, ${at('$.summary.num_hits')})` },
  { name: 'totals.pageviews', expr: `coalesce(${at('$.totals.pageviews')}, ${at('$.summary.num_pageviews')})` },
  { name: 'totals.timeOnSite', expr: at('$.totals.timeOnSite') },
  { name: 'summary.total_time_on_page', expr: at('$.summary.total_time_on_page') },
  { name: 'totals.bounces', expr: at('$.totals.bounces') },
  { name: 'totals.transactions', expr: at('$.totals.transactions') },
  { name: 'totals.transactionRevenue', expr: at('$.totals.transactionRevenue') },
  { name: 'totals.newVisits', expr: at('$.totals.newVisits') },
  { name: 'visitNumber', expr: at('$.visitNumber') },
];
const texts: readonly Field[] = [
  { name: 'trafficSource.source', expr: at('$.trafficSource.source') },
  { name: 'trafficSource.campaign', expr: at('$.trafficSource.campaign') },
  { name: 'device.browser', expr: at('$.device.browser') },
  { name: 'geoNetwork.country', expr: at('$.geoNetwork.country') },
  { name: 'channelGrouping', expr: at('$.channelGrouping') },
];
/** `device` may be an object or a bare string meaning the category (the event shape). */
const deviceCategory = `lower(trim(coalesce(${at('$.device.deviceCategory')}, CASE WHEN left(${at('$.device')}, 1) <> '{' THEN ${at('$.device')} END)))`;
const continent = `trim(${at('$.geoNetwork.continent')})`;
const dateText = at('$.date');
const visitId = at('$.visitId');
const visitStart = at('$.visitStartTime');

const quoteValue = (expr: string): string => `left(to_json(${expr})::VARCHAR, 80)`;

/** Reason for the first failed check, or NULL: [code, message] pairs in order. */
function checks(): [string, string, string][] {
  const list: [string, string, string][] = [
    ['NOT ok_json', 'not_json', `'line is not valid JSON'`],
    ['f IS NULL', 'not_object', `'line is JSON but not an object'`],
    [`${userId.expr} IS NULL OR trim(${userId.expr}) = ''`, 'missing_field', `'fullVisitorId: missing (the user id is required)'`],
    [`length(${userId.expr}) > 128`, 'out_of_range', `'fullVisitorId: longer than 128 characters'`],
    [`${visitId} IS NULL OR ${visitId} = ''`, 'missing_field', `'visitId: missing (the session id is required)'`],
    [`NOT regexp_full_match(${visitId}, '[0-9]{1,20}')`, 'invalid_integer', `'visitId: ' || ${quoteValue(visitId)} || ' is not an integer id'`],
    [`${dateText} IS NULL`, 'missing_field', `'date: missing (YYYYMMDD required)'`],
    [
      `NOT regexp_full_match(${dateText}, '(19[7-9][0-9]|2[01][0-9][0-9])[01][0-9][0-3][0-9]') OR try_strptime(${dateText}, '%Y%m%d') IS NULL`,
      'invalid_date',
      `'date: ' || ${quoteValue(dateText)} || ' is not a valid YYYYMMDD date'`,
    ],
    [`${visitStart} IS NULL`, 'missing_field', `'visitStartTime: missing (Unix seconds required)'`],
    [`NOT regexp_full_match(${visitStart}, '[0-9]{1,11}')`, 'invalid_integer', `'visitStartTime: ' || ${quoteValue(visitStart)} || ' is not Unix seconds'`],
  ];
  for (const c of counters) {
    list.push([
      `${c.expr} IS NOT NULL AND NOT regexp_full_match(${c.expr}, ${INT})`,
      'invalid_integer',
      `'${c.name}: ' || ${quoteValue(c.expr)} || ' is not a non-negative integer'`,
    ]);
  }
  for (const t of texts) {
    list.push([`length(${t.expr}) > ${MAX_TEXT}`, 'out_of_range', `'${t.name}: longer than ${MAX_TEXT} characters'`]);
  }
  list.push([
    `${deviceCategory} IS NOT NULL AND ${deviceCategory} NOT IN ('', ${DEVICE_CATEGORIES.map((d) => `'${d}'`).join(', ')}, '(not set)')`,
    'invalid_enum',
    `'device.deviceCategory: ' || ${quoteValue(deviceCategory)} || ' is not one of ${DEVICE_CATEGORIES.join(', ')}'`,
  ]);
  list.push([
    `${continent} IS NOT NULL AND ${continent} NOT IN ('', ${CONTINENTS.map((c) => `'${c}'`).join(', ')})`,
    'invalid_enum',
    `'geoNetwork.continent: ' || ${quoteValue(continent)} || ' is not one of ${CONTINENTS.join(', ')}'`,
  ]);
  return list;
}

const caseOf = (pick: 1 | 2): string =>
  `CASE ${checks()
    .map((c) => `WHEN ${c[0]} THEN ${pick === 1 ? `'${c[1]}'` : c[2]}`)
    .join('\n         ')} END`;

/** Step 2: classify each line as valid or rejected (first failing check wins). */
export const VALIDATE_SQL = `
CREATE OR REPLACE TEMP TABLE validated AS
SELECT blob, line_no, line, f, ${caseOf(1)} AS reason_code, ${caseOf(2)} AS reason
FROM extracted`;

const textOrNotSet = (expr: string): string => `coalesce(nullif(trim(${expr}), ''), '${NOT_SET}')`;
const int = (expr: string, type = 'BIGINT'): string => `CAST(${expr} AS ${type})`;

/**
 * Step 3: typed rows for valid lines, pseudonymized (`$ipad`, `$opad`), with `copy_rank` = 1
 * for the copy of each (user, session) key that wins inside this batch: the earliest `date`
 * (the day the session started; GA360 writes sessions crossing midnight to both days' tables),
 * then blob order, then line order.
 */
export function typedSql(keyVersion: string): string {
  const pseudonym = pseudonymSql(userId.expr);
  const timeMs = `coalesce(${int(at('$.totals.timeOnSite'))} * 1000, ${int(at('$.summary.total_time_on_page'))})`;
  return `
CREATE OR REPLACE TEMP TABLE typed AS
SELECT *, row_number() OVER (PARTITION BY user_pseudonym, session_id ORDER BY date, blob, line_no) AS copy_rank
FROM (
  SELECT
    blob, line_no,
    CAST(strptime(${dateText}, '%Y%m%d') AS DATE) AS date,
    ${visitId} AS session_id,
    ${pseudonym} AS user_pseudonym,
    '${keyVersion.replace(/'/g, "''")}' AS key_version,
    ${int(at('$.visitNumber'), 'INTEGER')} AS visit_number,
    CAST(make_timestamp(${int(visitStart)} * 1000000) AS TIMESTAMP) AS visit_start_time,
    CASE WHEN ${continent} IS NULL OR ${continent} = '' THEN '${NOT_SET}' ELSE ${continent} END AS continent,
    ${textOrNotSet(at('$.geoNetwork.country'))} AS country,
    CASE WHEN ${deviceCategory} IS NULL OR ${deviceCategory} = '' THEN '${NOT_SET}' ELSE ${deviceCategory} END AS device_category,
    ${textOrNotSet(at('$.device.browser'))} AS browser,
    ${textOrNotSet(at('$.channelGrouping'))} AS channel,
    ${textOrNotSet(at('$.trafficSource.source'))} AS traffic_source,
    ${textOrNotSet(at('$.trafficSource.campaign'))} AS campaign,
    coalesce(${int(counters[0]!.expr, 'INTEGER')}, 0) AS hits,
    ${int(counters[1]!.expr, 'INTEGER')} AS pageviews,
    ${timeMs} AS time_on_site_ms,
    coalesce(${int(at('$.totals.bounces'), 'INTEGER')}, 0) AS bounces,
    coalesce(${int(at('$.totals.transactions'), 'INTEGER')}, 0) AS transactions,
    coalesce(${int(at('$.totals.transactionRevenue'))}, 0) AS revenue_micros,
    coalesce(${int(at('$.totals.newVisits'), 'INTEGER')}, 0) = 1 AS new_visit
  FROM validated
  WHERE reason_code IS NULL
)`;
}

/** The Silver columns, in file order. */
export const SILVER_COLUMNS = [
  'date',
  'session_id',
  'user_pseudonym',
  'key_version',
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
