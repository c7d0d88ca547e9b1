import { readFileSync } from 'node:fs';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { ConnectionOptions } from '@databricks/sql/dist/contracts/IDBSQLClient.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundingPlanOf } from '../../src/analyses/bounding-plan.js';
import { stagedColumns } from '../../src/analyses/bounded-sql.js';
import { sparkBoundedAggregateSql } from '../../src/analyses/bounded-spark-sql.js';
import { planAnalysis } from '../../src/analyses/plan.js';
import { abfssUris, sparkBoundedAggregatesOfAll } from '../../src/analyses/spark-aggregates.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config/index.js';
import { newSamplingSalt, seededRandom } from '../../src/dp/index.js';
import {
  AZURE_DATABRICKS_SCOPE,
  boundingEngineFromEnv,
  DatabricksEngine,
  type DatabricksClient,
  type DatabricksSettings,
} from '../../src/engine/databricks.js';
import { UserError } from '../../src/errors.js';

const fixture = z
  .object({ bigint_columns: z.array(z.string()), rows: z.array(z.record(z.string(), z.unknown())) })
  .parse(
    JSON.parse(
      readFileSync(new URL('../fixtures/databricks/bounded-aggregates.json', import.meta.url), 'utf8'),
    ),
  );

/** The fixture's rows as the driver hands them over: BIGINT columns as bigint. */
function recordedRows(rows = fixture.rows): object[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [
        k,
        fixture.bigint_columns.includes(k) && typeof v === 'string' ? BigInt(v) : v,
      ]),
    ),
  );
}

/** A client that answers every statement with `rows` and records what it was asked; no network. */
function recordingClient(rows: object[]) {
  const log = {
    connected: undefined as ConnectionOptions | undefined,
    statements: [] as { sql: string; namedParameters: Record<string, string> }[],
    closed: [] as string[],
  };
  const client: DatabricksClient = {
    connect: (options) => {
      log.connected = options;
      return Promise.resolve(client);
    },
    openSession: () =>
      Promise.resolve({
        executeStatement: (sql, options) => {
          log.statements.push({ sql, namedParameters: options.namedParameters });
          return Promise.resolve({
            fetchAll: () => Promise.resolve(rows),
            close: () => Promise.resolve(log.closed.push('operation')),
          });
        },
        close: () => Promise.resolve(log.closed.push('session')),
      }),
    close: () => {
      log.closed.push('client');
      return Promise.resolve();
    },
  };
  return { client, log };
}

/** A managed identity stand-in: hands out a fixed token and records the scopes asked for. */
function fakeCredential(): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return Promise.resolve({ token: 'eyJ.fake.token', expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
}

const settings: DatabricksSettings = {
  host: 'adb-1234567890123456.7.azuredatabricks.net',
  path: '/sql/1.0/warehouses/abcdef0123456789',
};
const window = { id: '2016-08', start: '2016-08-01', end: '2016-08-31' };
const plan = planAnalysis({
  ...parseConfig(DEFAULT_CONFIG_INPUT).analyses[1]!,
  statistics: ['mean', 'quantiles'],
  quantiles: [0.5],
});
const source = {
  uris: abfssUris('https://lakeacct.blob.core.windows.net/silver', [
    'sessions/date=2016-08-01/part-r1.parquet',
    'sessions/date=2016-08-02/part-r1.parquet',
  ]),
  unit: 'coalesce(user_link, user_pseudonym)' as const,
};

describe('the Databricks engine', () => {
  it('connects with a managed-identity token for Azure Databricks, exact numbers and no telemetry', async () => {
    const { client, log } = recordingClient([]);
    const credential = fakeCredential();
    const engine = await DatabricksEngine.open(settings, { client, credential });
    const options = log.connected as ConnectionOptions & { getToken: () => Promise<string> };
    expect(options).toMatchObject({
      host: settings.host,
      path: settings.path,
      authType: 'external-token',
      preserveBigNumericPrecision: true,
      telemetryEnabled: false,
    });
    await expect(options.getToken()).resolves.toBe('eyJ.fake.token');
    expect(credential.scopes).toEqual([AZURE_DATABRICKS_SCOPE]);
    await engine.close();
    expect(log.closed).toEqual(['session', 'client']);
  });

  it('sends the Spark bounding statement with the salts as named parameters and decodes the recorded result', async () => {
    const { client, log } = recordingClient(recordedRows());
    const engine = await DatabricksEngine.open(settings, { client, credential: fakeCredential() });
    const [aggregates] = await sparkBoundedAggregatesOfAll(
      engine,
      [{ plan, windows: [window] }],
      source,
      seededRandom('databricks-request'),
    );
    await engine.close();

    const salt = newSamplingSalt(seededRandom('databricks-request'));
    const expected = sparkBoundedAggregateSql(
      boundingPlanOf(plan, [{ index: 0, id: window.id, salt }]),
      stagedColumns([plan]),
      source,
      [window],
    );
    expect(log.statements).toEqual([{ sql: expected.sql, namedParameters: { salt_0: salt } }]);
    expect(log.statements[0]!.sql).not.toContain(salt);
    expect(log.statements[0]!.sql).toContain(
      'parquet.`abfss://silver@lakeacct.dfs.core.windows.net/sessions/date=2016-08-01/part-r1.parquet`',
    );
    expect(log.closed).toEqual(['operation', 'session', 'client']);

    expect(aggregates).toEqual(
      new Map([
        [
          '2016-08',
          new Map([
            [
              'desktop',
              {
                count: 3n,
                users: 2n,
                normalizedSum: -1785n,
                normalizedSumSquares: 1099863n,
                histogram: new Map([
                  [0n, 2n],
                  [7n, 1n],
                ]),
              },
            ],
            [
              'mobile',
              {
                count: 1n,
                users: 1n,
                normalizedSum: 98765432109876543210n,
                normalizedSumSquares: 12345678901234567890123456789012345678n,
                histogram: new Map([[3n, 1n]]),
              },
            ],
          ]),
        ],
      ]),
    );
  });

  it('refuses a result line that is not an exact integer, naming the line', async () => {
    const rows = recordedRows();
    rows[3] = { ...rows[3], normalized_sum: 1.5e20 };
    const { client } = recordingClient(rows);
    const engine = await DatabricksEngine.open(settings, { client, credential: fakeCredential() });
    await expect(
      sparkBoundedAggregatesOfAll(engine, [{ plan, windows: [window] }], source, seededRandom('x')),
    ).rejects.toThrow(/line 4 .*normalized_sum/s);
  });
});

describe('choosing the bounding engine from the environment', () => {
  it('is the embedded engine unless DP_ENGINE says databricks', () => {
    expect(boundingEngineFromEnv({})).toEqual({ kind: 'duckdb' });
    expect(
      boundingEngineFromEnv({
        DP_ENGINE: 'databricks',
        DP_DATABRICKS_HOST: settings.host,
        DP_DATABRICKS_HTTP_PATH: settings.path,
      }),
    ).toEqual({ kind: 'databricks', settings });
  });

  it('names what is missing or malformed in one line', () => {
    expect(() => boundingEngineFromEnv({ DP_ENGINE: 'spark' })).toThrow(UserError);
    expect(() => boundingEngineFromEnv({ DP_ENGINE: 'databricks' })).toThrow(
      'DP_ENGINE=databricks needs DP_DATABRICKS_HOST, DP_DATABRICKS_HTTP_PATH',
    );
    expect(() =>
      boundingEngineFromEnv({
        DP_ENGINE: 'databricks',
        DP_DATABRICKS_HOST: `https://${settings.host}/`,
        DP_DATABRICKS_HTTP_PATH: settings.path,
      }),
    ).toThrow(/DP_DATABRICKS_HOST 'https:.*' is not a host name/);
  });

  it('reads Silver by abfss URI only from an Azure Storage lake', () => {
    expect(source.uris[0]).toBe(
      'abfss://silver@lakeacct.dfs.core.windows.net/sessions/date=2016-08-01/part-r1.parquet',
    );
    expect(() => abfssUris('./lake/silver', ['k'])).toThrow(UserError);
    expect(() => abfssUris('http://127.0.0.1:10000/devstoreaccount1/silver', ['k'])).toThrow(/Azure Storage/);
  });
});
