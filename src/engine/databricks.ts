import type { TokenCredential } from '@azure/identity';
import { identitySdk } from '../azure-sdk.js';
import type { ConnectionOptions } from '@databricks/sql/dist/contracts/IDBSQLClient.js';
import { UserError } from '../errors.js';

/**
 * A Spark SQL engine: runs one statement with named string parameters (`:name` markers) and
 * returns its rows as plain objects keyed by column name. What the Spark bounding path needs,
 * whatever serves it (a Databricks SQL warehouse in production; tests may run the same text on
 * DuckDB through an explicit rewrite).
 */
export interface SparkSqlEngine {
  query(sql: string, parameters: Readonly<Record<string, string>>): Promise<unknown[]>;
  close(): Promise<void>;
}

/** Where the warehouse is and how the job gets a token for it. */
export interface DatabricksSettings {
  /** Workspace host, e.g. `adb-1234567890123456.7.azuredatabricks.net` (no scheme). */
  readonly host: string;
  /** The SQL warehouse's HTTP path, e.g. `/sql/1.0/warehouses/abcdef0123456789`. */
  readonly path: string;
}

/**
 * The Microsoft Entra token scope of Azure Databricks (its first-party application id, the same
 * in every tenant): the job's managed identity asks for a token to this resource.
 */
export const AZURE_DATABRICKS_SCOPE = '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default';

/** Where contributions are bounded: the embedded engine, or a Databricks SQL warehouse. */
export type BoundingEngineChoice =
  { readonly kind: 'duckdb' } | { readonly kind: 'databricks'; readonly settings: DatabricksSettings };

/**
 * The bounding engine the environment selects: `DP_ENGINE=duckdb` (default: the embedded engine)
 * or `DP_ENGINE=databricks` with `DP_DATABRICKS_HOST` and `DP_DATABRICKS_HTTP_PATH` (the
 * warehouse reads the lake's committed Silver files by `abfss://` URI, so the lake must be in
 * Azure Storage). A bad or missing setting is a one-line `UserError` saying what to set.
 */
export function boundingEngineFromEnv(env: NodeJS.ProcessEnv = process.env): BoundingEngineChoice {
  const kind = env.DP_ENGINE?.trim() || 'duckdb';
  if (kind === 'duckdb') return { kind };
  if (kind !== 'databricks') throw new UserError(`DP_ENGINE must be 'duckdb' or 'databricks', got '${kind}'`);
  const missing = ['DP_DATABRICKS_HOST', 'DP_DATABRICKS_HTTP_PATH'].filter((n) => !env[n]?.trim());
  if (missing.length > 0) {
    throw new UserError(
      `DP_ENGINE=databricks needs ${missing.join(', ')}: set them to the SQL warehouse's workspace host and HTTP path`,
    );
  }
  const host = env.DP_DATABRICKS_HOST!.trim();
  if (!/^[a-z0-9.-]+$/i.test(host)) {
    throw new UserError(
      `DP_DATABRICKS_HOST '${host}' is not a host name: give the workspace host without https:// or a path (e.g. adb-1234567890123456.7.azuredatabricks.net)`,
    );
  }
  const path = env.DP_DATABRICKS_HTTP_PATH!.trim();
  if (!/^\/sql\/[\w./-]+$/.test(path)) {
    throw new UserError(
      `DP_DATABRICKS_HTTP_PATH '${path}' is not a SQL warehouse HTTP path: copy it from the warehouse's connection details (e.g. /sql/1.0/warehouses/abcdef0123456789)`,
    );
  }
  return { kind: 'databricks', settings: { host, path } };
}

/**
 * The driver's connection options: token from `credential` (the job's managed identity) for
 * Azure Databricks on every request (`external-token`: the driver calls back when it needs one,
 * so a long job never holds an expired token), exact numbers (`preserveBigNumericPrecision`:
 * DECIMAL as strings, BIGINT as bigint), and no telemetry sent to Databricks.
 */
export function databricksConnectionOptions(
  settings: DatabricksSettings,
  credential: TokenCredential,
): ConnectionOptions {
  return {
    host: settings.host,
    path: settings.path,
    authType: 'external-token',
    getToken: async () => {
      const token = await credential.getToken(AZURE_DATABRICKS_SCOPE);
      if (token === null) throw new Error('the managed identity returned no token for Azure Databricks');
      return token.token;
    },
    preserveBigNumericPrecision: true,
    telemetryEnabled: false,
    userAgentEntry: 'dp-pipeline',
  };
}

/** The part of the driver's `DBSQLClient` the engine uses (tests pass a recorded one). */
export interface DatabricksClient {
  connect(options: ConnectionOptions): Promise<unknown>;
  openSession(): Promise<DatabricksSession>;
  close(): Promise<void>;
}

export interface DatabricksSession {
  executeStatement(
    sql: string,
    options: { namedParameters: Record<string, string> },
  ): Promise<DatabricksOperation>;
  close(): Promise<unknown>;
}

export interface DatabricksOperation {
  fetchAll(): Promise<object[]>;
  close(): Promise<unknown>;
}

/**
 * A Databricks SQL warehouse as a {@link SparkSqlEngine}, through the Databricks SQL Node driver
 * (`@databricks/sql`, loaded only here: it costs ~0.6 s to import): one session per engine, one
 * operation per statement, every parameter a string (the driver sends it typed STRING).
 *
 * @example
 * ```ts
 * const engine = await DatabricksEngine.open(settings);
 * try {
 *   const rows = await engine.query('SELECT md5(:s) AS h', { s: 'x' });
 * } finally {
 *   await engine.close();
 * }
 * ```
 */
export class DatabricksEngine implements SparkSqlEngine {
  private constructor(
    private readonly client: DatabricksClient,
    private readonly session: DatabricksSession,
  ) {}

  static async open(
    settings: DatabricksSettings,
    options: { readonly credential?: TokenCredential; readonly client?: DatabricksClient } = {},
  ): Promise<DatabricksEngine> {
    const client = options.client ?? new (await import('@databricks/sql')).DBSQLClient();
    await client.connect(
      databricksConnectionOptions(
        settings,
        options.credential ?? new (identitySdk().DefaultAzureCredential)(),
      ),
    );
    try {
      return new DatabricksEngine(client, await client.openSession());
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
  }

  async query(sql: string, parameters: Readonly<Record<string, string>>): Promise<unknown[]> {
    const operation = await this.session.executeStatement(sql, { namedParameters: { ...parameters } });
    try {
      return await operation.fetchAll();
    } finally {
      await operation.close();
    }
  }

  async close(): Promise<void> {
    try {
      await this.session.close();
    } finally {
      await this.client.close();
    }
  }
}
