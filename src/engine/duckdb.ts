import { availableParallelism } from 'node:os';
import { DuckDBConnection, DuckDBInstance, listValue, type DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../errors.js';

/**
 * DuckDB's worker threads: `DP_ENGINE_THREADS` (a positive integer), else every core this
 * process may use, so a job given more vCPUs runs its SQL on all of them.
 */
export function engineThreads(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.DP_ENGINE_THREADS;
  if (text === undefined || text.trim() === '') return availableParallelism();
  if (!/^[1-9][0-9]{0,3}$/.test(text.trim())) {
    throw new UserError(
      `DP_ENGINE_THREADS: ${JSON.stringify(text).slice(0, 40)} is not a positive integer; set it to the number of DuckDB threads (e.g. 4) or unset it to use every core`,
    );
  }
  return Number(text.trim());
}

/**
 * One embedded DuckDB database for a unit of work. Extensions are never downloaded
 * (`autoinstall_known_extensions=false`): JSON and Parquet are built in.
 */
export class Engine {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly memoryLimit: string,
  ) {}

  static async open(options: {
    tempDirectory: string;
    memoryLimit?: string;
    threads?: number;
  }): Promise<Engine> {
    const memoryLimit = options.memoryLimit ?? '512MB';
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      temp_directory: options.tempDirectory,
      memory_limit: memoryLimit,
      threads: String(options.threads ?? engineThreads()),
      preserve_insertion_order: 'false',
    });
    return new Engine(instance, await instance.connect(), memoryLimit);
  }

  /**
   * Hands the memory DuckDB keeps cached after a stage (freed blocks stay in its buffer pool up
   * to `memory_limit`) back to the system, as far as nothing holds it: lowering the limit evicts them, then the limit is
   * restored. Called between stages, so the next one (e.g. charts on worker threads) does not
   * stack its peak on top of the last query's.
   */
  async releaseMemory(): Promise<void> {
    try {
      await this.run(`SET memory_limit = '16MB'`);
    } catch {
      // Best effort: DuckDB refuses a limit below what is pinned; it then frees what it can.
    } finally {
      await this.run(`SET memory_limit = ${sqlString(this.memoryLimit)}`);
    }
  }

  async run(sql: string, params?: Record<string, DuckDBValue> | DuckDBValue[]): Promise<void> {
    await this.connection.run(sql, params);
  }

  /** Rows as plain objects; BIGINT/HUGEINT come back as bigint, DATE as `YYYY-MM-DD` strings. */
  async all<T = Record<string, unknown>>(
    sql: string,
    params?: Record<string, DuckDBValue> | DuckDBValue[],
  ): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params);
    const columns = reader.columnNames();
    const types = reader.columnTypes();
    return reader.getRows().map((row) => {
      const out: Record<string, unknown> = {};
      row.forEach((value, i) => {
        const type = types[i]?.toString() ?? '';
        out[columns[i]!] = value !== null && type === 'DATE' ? String(value) : value;
      });
      return out as T;
    });
  }

  /** The column names `sql` would return, without fetching rows (use a `LIMIT 0` query). */
  async columnNames(sql: string): Promise<string[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.columnNames();
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Quotes a string as a SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Quotes a name as a SQL identifier (table, view or column). */
export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL list literal of strings, e.g. for `read_parquet([...])` or `IN (...)`. */
export function sqlList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}

/**
 * A list of strings as a query parameter (bind as `$name::VARCHAR[]`): for bulk text such as a
 * blob's lines, which must not be spliced into the SQL. Must not be empty (DuckDB cannot type it).
 */
export function textListParam(values: readonly string[]): DuckDBValue {
  return listValue([...values]);
}
