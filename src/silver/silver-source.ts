import { sqlList, sqlString, type Engine } from '../engine/duckdb.js';
import { UserError } from '../errors.js';
import { localCopies } from '../lake/index.js';
import type { Lake } from '../storage/index.js';
import { loadKeyRing } from './key-ring.js';

/**
 * The privacy unit of a Silver row as SQL: the person, stable across key versions, i.e. their
 * link pseudonym (the first key version's). Ingest writes `user_link` only where it is not the
 * row's `user_pseudonym` (rows under a later version), so the unit is
 * `coalesce(user_link, user_pseudonym)`; files written before Silver kept links have no such
 * column and are read by `user_pseudonym` alone, which is the link when every row is under the
 * first version.
 */
export type PrivacyUnitSql = 'user_pseudonym' | 'coalesce(user_link, user_pseudonym)';

/**
 * Silver files as the analyses read them: the relation to select from and the privacy unit of
 * a row. Bounding, utility histograms, partition selection and evaluation group by `unit`, never
 * by the per-key `user_pseudonym`, so a key rotation never splits a person into two units.
 */
export interface SilverSource {
  /** Local Parquet paths. */
  readonly files: readonly string[];
  /** Their rows in total (from the footers): sizes the bounding's user buckets. */
  readonly rows: number;
  /** A SQL relation over the files, e.g. `read_parquet([...], hive_partitioning = false)`. */
  readonly relation: string;
  readonly unit: PrivacyUnitSql;
}

/**
 * Reads the footers of `files` (one metadata pass, no data) to find how their rows name the
 * person. Files without a `user_link` column (written before Silver kept it) are read only when
 * all their rows are under the first key version (`linkVersion`), where the pseudonym is the
 * link; a row under a later version there would be a second unit for its person, so that is
 * refused with a `UserError` naming the file (`names[i]` for `files[i]`, default the path).
 */
export async function openSilverSource(
  engine: Engine,
  files: readonly string[],
  options: { readonly linkVersion: string; readonly names?: readonly string[] },
): Promise<SilverSource> {
  if (files.length === 0)
    return { files, rows: 0, relation: relationOf(files, false), unit: 'user_pseudonym' };
  const meta = await engine.all<{ file_name: string; linked: boolean; n: bigint | null }>(
    `SELECT file_name, bool_or(path_in_schema = 'user_link') AS linked,
       sum(row_group_num_rows) FILTER (WHERE column_id = 0) AS n
     FROM parquet_metadata(${sqlList(files)}) GROUP BY file_name`,
  );
  const rows = meta.reduce((s, m) => s + Number(m.n ?? 0n), 0);
  const linked = meta.filter((m) => m.linked).length;
  // A file without row groups lists no column here: it holds no row, so no person either.
  const unlinked = meta.filter((m) => !m.linked).map((m) => m.file_name);
  if (unlinked.length > 0) await refuseLaterVersions(engine, files, unlinked, options);
  const all = linked === files.length;
  return {
    files,
    rows,
    // Files of several schemas (or an empty one, schema unknown) are matched by column name.
    relation: relationOf(files, !all),
    unit: linked === 0 ? 'user_pseudonym' : 'coalesce(user_link, user_pseudonym)',
  };
}

/**
 * The committed Silver files `keys` as a {@link SilverSource}: local copies (downloaded into
 * `dir` unless the lake is local) checked against the lake's first key version. `check` sees the
 * local copies first (e.g. to verify them against the manifest) and may throw to refuse them.
 */
export async function readSilver(
  lake: Lake,
  engine: Engine,
  keys: readonly string[],
  dir: string,
  options: { readonly check?: (paths: readonly string[]) => Promise<void> } = {},
): Promise<SilverSource> {
  const files = await localCopies(lake.objects('silver'), keys, dir);
  await options.check?.(files);
  const ring = await loadKeyRing(lake);
  return openSilverSource(engine, files, {
    linkVersion: ring.link.version,
    names: keys.map((k) => `${lake.locate('silver')}/${k}`),
  });
}

function relationOf(files: readonly string[], unionByName: boolean): string {
  return `read_parquet(${sqlList(files)}, hive_partitioning = false${unionByName ? ', union_by_name = true' : ''})`;
}

async function refuseLaterVersions(
  engine: Engine,
  files: readonly string[],
  unlinked: readonly string[],
  options: { readonly linkVersion: string; readonly names?: readonly string[] },
): Promise<void> {
  const [hit] = await engine.all<{ filename: string; key_version: string | null }>(
    `SELECT filename, key_version FROM read_parquet(${sqlList(unlinked)}, hive_partitioning = false, filename = true)
     WHERE key_version IS DISTINCT FROM ${sqlString(options.linkVersion)} LIMIT 1`,
  );
  if (hit === undefined) return;
  const name = options.names?.[files.indexOf(hit.filename)] ?? hit.filename;
  throw new UserError(
    `${name}: rows under key version ${hit.key_version ?? '(none)'} but no user_link column (written before Silver kept the person's link), so a person active across the rotation would count as two; reprocess Bronze into a fresh lake`,
  );
}
