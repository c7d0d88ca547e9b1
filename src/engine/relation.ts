import type { DuckDBValue } from '@duckdb/node-api';
import { sqlIdent, type Engine } from './duckdb.js';

/**
 * A temporary table or view that one stage of a unit of work created and the next stages read:
 * a typed handle instead of a name written in two SQL strings. `ref` is the quoted, unique name
 * to put in SQL; `columns` is the shape the stage promised (checked when it was created).
 */
export interface Relation<C extends string> {
  readonly kind: 'table' | 'view';
  /** The relation's quoted identifier, for SQL text. Unique per `TempRelations` scope. */
  readonly ref: string;
  /** Its columns, in order, exactly as DuckDB reported them after creating it. */
  readonly columns: readonly C[];
}

let sequence = 0;

/**
 * The temporary relations of one unit of work (e.g. one ingest batch). Each gets a name no
 * other scope uses, so a stage never reads a relation left over by an earlier batch or by an
 * attempt that failed half-way, and `dropAll` drops each with the statement its kind needs.
 * Use it through {@link withTempRelations}, which drops them whether the work succeeds or fails.
 */
export class TempRelations {
  private readonly created: Relation<string>[] = [];
  private readonly scope: number;

  constructor(private readonly engine: Engine) {
    this.scope = ++sequence;
  }

  /**
   * `CREATE TEMP TABLE … AS <select>`: materialized once, read by several later stages.
   * Throws when the result's columns are not exactly `columns`, in order.
   */
  table<const C extends string>(
    name: string,
    columns: readonly C[],
    select: string,
    params?: Record<string, DuckDBValue>,
  ): Promise<Relation<C>> {
    return this.create('table', name, columns, select, params);
  }

  /** `CREATE TEMP VIEW … AS <select>`: re-evaluated by each reader (views take no parameters). */
  view<const C extends string>(name: string, columns: readonly C[], select: string): Promise<Relation<C>> {
    return this.create('view', name, columns, select);
  }

  /** Drops every relation of this scope, newest first (a view before the tables it reads). */
  async dropAll(): Promise<void> {
    while (this.created.length > 0) {
      const r = this.created.pop()!;
      await this.engine.run(`DROP ${r.kind === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS ${r.ref}`);
    }
  }

  private async create<const C extends string>(
    kind: Relation<C>['kind'],
    name: string,
    columns: readonly C[],
    select: string,
    params?: Record<string, DuckDBValue>,
  ): Promise<Relation<C>> {
    const ref = sqlIdent(`${name}_s${this.scope}`);
    const relation: Relation<C> = { kind, ref, columns };
    await this.engine.run(`CREATE TEMP ${kind === 'view' ? 'VIEW' : 'TABLE'} ${ref} AS ${select}`, params);
    this.created.push(relation);
    const got = await this.engine.columnNames(`SELECT * FROM ${ref} LIMIT 0`);
    if (got.join(',') !== columns.join(',')) {
      throw new Error(
        `internal: ${kind} ${name} has columns (${got.join(', ')}), expected (${columns.join(', ')})`,
      );
    }
    return relation;
  }
}

/**
 * Runs `work` with a fresh scope of temporary relations and drops them all afterwards, whether
 * `work` succeeds or fails. When `work` fails its error is the one thrown: the names are unique,
 * so a relation a failed drop leaves behind can never be read by anyone else.
 *
 * @example
 * ```ts
 * const n = await withTempRelations(engine, async (rel) => {
 *   const lines = await rel.table('lines', ['line_no', 'line'], `SELECT * FROM read_csv(…)`);
 *   const [row] = await engine.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${lines.ref}`);
 *   return row!.n;
 * });
 * ```
 */
export async function withTempRelations<T>(
  engine: Engine,
  work: (relations: TempRelations) => Promise<T>,
): Promise<T> {
  const relations = new TempRelations(engine);
  let result: T;
  try {
    result = await work(relations);
  } catch (err) {
    await relations.dropAll().catch(() => undefined);
    throw err;
  }
  await relations.dropAll();
  return result;
}
