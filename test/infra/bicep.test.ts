import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLAIM_TTL_MS } from '../../src/pipeline/scan/index.js';
import {
  apiVersionProblems,
  envContractProblems,
  moduleProblems,
  parameterFileProblems,
  params,
  parseBicep,
  propertyPath,
  resources,
  roleAssignments,
  roleProblems,
  secretOutputProblems,
  settingNames,
  storageHardeningProblems,
  stringArrayVariable,
  syntaxProblems,
  unusedParams,
  type BicepFile,
} from './bicep-checks.js';

const infraDir = join(dirname(fileURLToPath(import.meta.url)), '../../infra');

function loadInfra(): BicepFile[] {
  const paths = [
    'main.bicep',
    ...readdirSync(join(infraDir, 'modules'))
      .filter((f) => f.endsWith('.bicep'))
      .map((f) => `modules/${f}`),
  ];
  return paths.map((p) => parseBicep(readFileSync(join(infraDir, p), 'utf8'), p));
}

const files = loadInfra();
const file = (path: string): BicepFile => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} not found under infra/`);
  return f;
};
const main = file('main.bicep');

/** Built-in role definitions (learn.microsoft.com/azure/role-based-access-control/built-in-roles; ../shared/notes/azure.md). */
const BUILT_IN_ROLES = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  'Container Apps Jobs Operator': 'b9a307c4-5aa3-4b52-ba60-2b17c136cd7b',
} as const;
const roleName = (id: string | undefined): string =>
  Object.entries(BUILT_IN_ROLES).find(([, g]) => g === id)?.[0] ?? `unknown ${id}`;

/** The environment contract shared by the job image, the Function App, the CLI and the Bicep. */
const ENV_CONTRACT = [
  'DP_STORAGE_CONNECTION_STRING',
  'DP_STORAGE_ACCOUNT',
  'AZURE_CLIENT_ID',
  'DP_LAUNCHER',
  'AZURE_SUBSCRIPTION_ID',
  'DP_JOB_RESOURCE_GROUP',
  'DP_JOB_NAME',
  'DP_JOB_IMAGE',
  'DP_JOB_CONTAINER_NAME',
  'DP_SCAN_SCHEDULE',
  'DP_TRIGGER',
  'DP_CONFIG',
  'DP_PSEUDONYM_KEY',
  'DP_API_KEYS',
  'DP_LOG_LEVEL',
  'DP_ENGINE',
  'DP_DATABRICKS_HOST',
  'DP_DATABRICKS_HTTP_PATH',
];

describe('infra Bicep, validated offline (tree-sitter-bicep + checks over the syntax tree)', () => {
  it('finds main.bicep and the modules', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files.map((f) => [f.path, f] as const))('%s parses without ERROR or MISSING nodes', (_, f) => {
    expect(syntaxProblems(f)).toEqual([]);
  });

  it('references every module file from main.bicep, and every module path, param and output exists', () => {
    expect(moduleProblems(files)).toEqual([]);
  });

  it.each(files.map((f) => [f.path, f] as const))('%s uses every parameter it declares', (_, f) => {
    expect(unusedParams(f)).toEqual([]);
  });

  it.each(files.map((f) => [f.path, f] as const))(
    '%s gives every resource an explicit GA API version',
    (_, f) => {
      expect(apiVersionProblems(f)).toEqual([]);
    },
  );

  it.each(files.map((f) => [f.path, f] as const))('%s outputs no secret', (_, f) => {
    expect(secretOutputProblems(f)).toEqual([]);
  });

  it('main.parameters.json and the params of main.bicep agree, and the key is not in the file', () => {
    const json = readFileSync(join(infraDir, 'main.parameters.json'), 'utf8');
    expect(parameterFileProblems(main, json)).toEqual([]);
    expect(params(main).find((p) => p.name === 'pseudonymKey')?.secure).toBe(true);
    const kv = file('modules/key-vault.bicep');
    expect(params(kv).find((p) => p.name === 'pseudonymKey')?.secure).toBe(true);
    // An empty key (a redeployment) leaves the stored secret alone.
    expect(kv.root.text).toMatch(/resource secret '[^']+' = if \(!empty\(pseudonymKey\)\)/);
    // The same for the API keys, stored as the secret `api-keys`.
    expect(params(main).find((p) => p.name === 'apiKeys')?.secure).toBe(true);
    expect(params(kv).find((p) => p.name === 'apiKeys')?.secure).toBe(true);
    expect(kv.root.text).toMatch(/resource apiKeysSecret '[^']+' = if \(!empty\(apiKeys\)\)/);
    const apiSecret = resources(kv).find((r) => r.symbol === 'apiKeysSecret');
    expect(propertyPath(apiSecret?.body, 'name')?.text).toBe('apiKeysSecretName');
    expect(propertyPath(apiSecret?.body, 'properties.value')?.text).toBe('apiKeys');
    expect(main.root.text).toMatch(/var apiKeysSecretName = 'api-keys'/);
    expect(main.root.text).toMatch(/apiKeysSecretName: apiKeysSecretName\s+apiKeys: apiKeys/);
    // The Function reads exactly that secret: its Secrets User role is scoped to it.
    const fnRoles = file('modules/roles-function.bicep');
    const onApiKeys = roleAssignments(fnRoles).filter((a) => a.scopeSymbol === 'apiKeysSecret');
    expect(onApiKeys.map((a) => roleName(a.roleId))).toEqual(['Key Vault Secrets User']);
    expect(
      propertyPath(resources(fnRoles).find((r) => r.symbol === 'apiKeysSecret')?.body, 'name')?.text,
    ).toBe('apiKeysSecretName');
    expect(main.root.text).toMatch(/apiKeysSecretName: keyVault\.outputs\.apiAccessSecretName/);
  });

  it.each(files.map((f) => [f.path, f] as const))(
    '%s assigns only documented built-in roles, by guid() names',
    (_, f) => {
      expect(roleProblems(f, BUILT_IN_ROLES)).toEqual([]);
    },
  );

  it.each(files.map((f) => [f.path, f] as const))(
    '%s creates only identity-only, HTTPS/TLS 1.2 storage',
    (_, f) => {
      expect(storageHardeningProblems(f)).toEqual([]);
    },
  );

  it.each(files.map((f) => [f.path, f] as const))(
    '%s sets only settings named in the environment contract',
    (_, f) => {
      expect(envContractProblems(f, ENV_CONTRACT)).toEqual([]);
    },
  );

  it('grants exactly the least-privilege role matrix', () => {
    const matrix = files
      .flatMap(roleAssignments)
      .map(
        (a) =>
          `${a.file}: ${roleName(a.roleId)} on ${a.scopeType}${a.scopeName ? ` '${a.scopeName}'` : ''} (${a.principalType})`,
      )
      .sort();
    expect(matrix).toEqual(
      [
        "modules/roles-analyst.bicep: Storage Blob Data Reader on Microsoft.Storage/storageAccounts/blobServices/containers 'gold' (principalType)",
        "modules/roles-databricks.bicep: Storage Blob Data Reader on Microsoft.Storage/storageAccounts/blobServices/containers 'silver' (ServicePrincipal)",
        'modules/roles-function.bicep: Container Apps Jobs Operator on Microsoft.App/jobs (ServicePrincipal)',
        'modules/roles-function.bicep: Key Vault Secrets User on Microsoft.KeyVault/vaults/secrets (ServicePrincipal)',
        'modules/roles-function.bicep: Key Vault Secrets User on Microsoft.KeyVault/vaults/secrets (ServicePrincipal)',
        'modules/roles-function.bicep: Storage Blob Data Owner on Microsoft.Storage/storageAccounts (ServicePrincipal)',
        "modules/roles-function.bicep: Storage Blob Data Contributor on Microsoft.Storage/storageAccounts/blobServices/containers 'bronze' (ServicePrincipal)",
        "modules/roles-function.bicep: Storage Blob Data Contributor on Microsoft.Storage/storageAccounts/blobServices/containers 'private' (ServicePrincipal)",
        "modules/roles-function.bicep: Storage Blob Data Contributor on Microsoft.Storage/storageAccounts/blobServices/containers 'gold' (ServicePrincipal)",
        "modules/roles-function.bicep: Storage Table Data Contributor on Microsoft.Storage/storageAccounts/tableServices/tables 'checkpoints' (ServicePrincipal)",
        "modules/roles-function.bicep: Storage Table Data Contributor on Microsoft.Storage/storageAccounts/tableServices/tables 'budget' (ServicePrincipal)",
        "modules/roles-function.bicep: Storage Table Data Contributor on Microsoft.Storage/storageAccounts/tableServices/tables 'releases' (ServicePrincipal)",
        "modules/roles-function.bicep: Storage Table Data Contributor on Microsoft.Storage/storageAccounts/tableServices/tables 'erasures' (ServicePrincipal)",
        'modules/roles-job.bicep: AcrPull on Microsoft.ContainerRegistry/registries (ServicePrincipal)',
        'modules/roles-job.bicep: Key Vault Secrets User on Microsoft.KeyVault/vaults/secrets (ServicePrincipal)',
        'modules/roles-job.bicep: Storage Blob Data Contributor on Microsoft.Storage/storageAccounts (ServicePrincipal)',
        'modules/roles-job.bicep: Storage Table Data Contributor on Microsoft.Storage/storageAccounts (ServicePrincipal)',
      ].sort(),
    );
    // The Function's blob owner role is on its own host storage account, never on the lake.
    const fnRoles = file('modules/roles-function.bicep');
    const hostOwner = roleAssignments(fnRoles).find((a) => roleName(a.roleId) === 'Storage Blob Data Owner');
    expect(hostOwner?.scopeSymbol).toBe('hostStorage');
    const hostStorage = resources(fnRoles).find((r) => r.symbol === 'hostStorage');
    expect(propertyPath(hostStorage?.body, 'name')?.text).toBe('hostStorageAccountName');
    expect(main.root.text).toMatch(/hostStorageAccountName: functionApp\.outputs\.hostStorageAccountName/);
  });

  it('references Azure Databricks only when asked: the access connector reads silver, the job gets the engine settings', () => {
    const byName = new Map(params(main).map((p) => [p.name, p]));
    for (const name of ['databricksHost', 'databricksHttpPath', 'databricksAccessConnectorPrincipalId']) {
      // Off by default: an empty default, so a deployment without Databricks needs nothing new.
      expect(byName.get(name)?.hasDefault, name).toBe(true);
      expect(byName.get(name)?.node.text, name).toMatch(/ string = ''$/);
    }
    expect(main.root.text).toMatch(
      /module databricksRoles 'modules\/roles-databricks\.bicep' = if \(!empty\(databricksAccessConnectorPrincipalId\)\)/,
    );
    const roles = roleAssignments(file('modules/roles-databricks.bicep'));
    expect(roles.map((a) => [roleName(a.roleId), a.scopeName])).toEqual([
      ['Storage Blob Data Reader', 'silver'],
    ]);
    const job = file('modules/container-apps-job.bicep');
    expect(job.root.text).toContain("value: empty(databricksHost) ? 'duckdb' : 'databricks'");
    expect(main.root.text).toMatch(/databricksHost: databricksHost\s+databricksHttpPath: databricksHttpPath/);
  });

  it('creates the lake containers and tables under their exact names', () => {
    const storage = file('modules/storage.bicep');
    expect(stringArrayVariable(storage, 'containerNames')).toEqual([
      'bronze',
      'silver',
      'gold',
      'quarantine',
      'private',
    ]);
    expect(stringArrayVariable(storage, 'tableNames')).toEqual([
      'checkpoints',
      'budget',
      'releases',
      'erasures',
    ]);
  });

  it('gives the Function App the contract settings, the Key Vault reference and identity-based host storage', () => {
    const fn = file('modules/function-app.bicep');
    expect(settingNames(fn, 'appSettings').sort()).toEqual(
      [
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        'AZURE_SUBSCRIPTION_ID',
        'AzureWebJobsStorage__accountName',
        'DP_JOB_CONTAINER_NAME',
        'DP_JOB_IMAGE',
        'DP_JOB_NAME',
        'DP_JOB_RESOURCE_GROUP',
        'DP_LAUNCHER',
        'DP_LOG_LEVEL',
        'DP_API_KEYS',
        'DP_PSEUDONYM_KEY',
        'DP_SCAN_SCHEDULE',
        'DP_STORAGE_ACCOUNT',
        'DP_TRIGGER',
      ].sort(),
    );
    const source = fn.root.text;
    expect(source).toMatch(
      /name: 'DP_PSEUDONYM_KEY'\s+value: '@Microsoft\.KeyVault\(SecretUri=\$\{pseudonymKeySecretUri\}\)'/,
    );
    expect(source).toMatch(
      /name: 'DP_API_KEYS'\s+value: '@Microsoft\.KeyVault\(SecretUri=\$\{apiKeysSecretUri\}\)'/,
    );
    expect(main.root.text).toMatch(/apiKeysSecretUri: keyVault\.outputs\.apiAccessSecretUri/);
    expect(source).toMatch(/name: 'DP_LAUNCHER'\s+value: 'container-apps'/);
    const site = resources(fn).find((r) => r.type === 'Microsoft.Web/sites');
    expect(propertyPath(site?.body, 'identity.type')?.text).toBe("'SystemAssigned'");
    expect(propertyPath(site?.body, 'properties.functionAppConfig.runtime.name')?.text).toBe("'node'");
    expect(
      propertyPath(site?.body, 'properties.functionAppConfig.deployment.storage.authentication.type')?.text,
    ).toBe("'SystemAssignedIdentity'");
    const plan = resources(fn).find((r) => r.type === 'Microsoft.Web/serverfarms');
    expect(propertyPath(plan?.body, 'sku.tier')?.text).toBe("'FlexConsumption'");
    expect(propertyPath(plan?.body, 'sku.name')?.text).toBe("'FC1'");
  });

  it('makes the job manual-trigger, parameterized, with the key from Key Vault through its identity', () => {
    const jobFile = file('modules/container-apps-job.bicep');
    expect(settingNames(jobFile, 'env').sort()).toEqual(
      [
        'AZURE_CLIENT_ID',
        'DP_LOG_LEVEL',
        'DP_PSEUDONYM_KEY',
        'DP_STORAGE_ACCOUNT',
        'DP_ENGINE',
        'DP_DATABRICKS_HOST',
        'DP_DATABRICKS_HTTP_PATH',
      ].sort(),
    );
    const job = resources(jobFile).find((r) => r.type === 'Microsoft.App/jobs');
    const config = propertyPath(job?.body, 'properties.configuration');
    expect(propertyPath(config, 'triggerType')?.text).toBe("'Manual'");
    expect(propertyPath(config, 'replicaTimeout')?.text).toBe('replicaTimeoutSeconds');
    expect(propertyPath(config, 'replicaRetryLimit')?.text).toBe('retryLimit');
    expect(jobFile.root.text).toMatch(/name: 'DP_PSEUDONYM_KEY'\s+secretRef: 'pseudonym-key'/);
    expect(jobFile.root.text).toMatch(/keyVaultUrl: pseudonymKeySecretUri\s+identity: identityId/);
    expect(jobFile.root.text).toMatch(/cpu: json\(cpu\)\s+memory: memory/);
    expect(jobFile.root.text).toMatch(/args: \[\s+'run'\s+\]/);
    // The job is created only after its identity can pull the image and read the secret.
    expect(main.root.text).toMatch(
      /module job 'modules\/container-apps-job\.bicep'[\s\S]*?dependsOn: \[\s+jobRoles\s+\]/,
    );
  });

  it('disables the registry admin user and uses RBAC, soft delete and (optional) purge protection on Key Vault', () => {
    const acr = resources(file('modules/registry.bicep')).find(
      (r) => r.type === 'Microsoft.ContainerRegistry/registries',
    );
    expect(propertyPath(acr?.body, 'properties.adminUserEnabled')?.text).toBe('false');
    const kvFile = file('modules/key-vault.bicep');
    const vault = resources(kvFile).find((r) => r.type === 'Microsoft.KeyVault/vaults');
    expect(propertyPath(vault?.body, 'properties.enableRbacAuthorization')?.text).toBe('true');
    expect(propertyPath(vault?.body, 'properties.enableSoftDelete')?.text).toBe('true');
    expect(propertyPath(vault?.body, 'properties.enablePurgeProtection')?.text).toBe(
      'enablePurgeProtection ? true : null',
    );
    const secret = resources(kvFile).find((r) => r.type === 'Microsoft.KeyVault/vaults/secrets');
    expect(propertyPath(secret?.body, 'properties.value')?.text).toBe('pseudonymKey');
  });

  it('wires Event Grid BlobCreated on bronze/ to the Function only when trigger is eventgrid', () => {
    expect(main.root.text).toMatch(
      /module eventGrid 'modules\/event-grid\.bicep' = if \(trigger == 'eventgrid'\)/,
    );
    const eg = file('modules/event-grid.bicep');
    const sub = resources(eg).find((r) => r.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(propertyPath(sub?.body, 'properties.destination.endpointType')?.text).toBe("'AzureFunction'");
    expect(propertyPath(sub?.body, 'properties.filter.subjectBeginsWith')?.text).toBe(
      "'/blobServices/default/containers/bronze/'",
    );
    expect(propertyPath(sub?.body, 'properties.filter.includedEventTypes')?.text).toContain(
      "'Microsoft.Storage.BlobCreated'",
    );
  });
});

describe('each Bicep check fails on a bad file', () => {
  const bad = (source: string, path = 'bad.bicep'): BicepFile => parseBicep(source, path);

  it('syntax: an unfinished resource and a stray token', () => {
    expect(
      syntaxProblems(bad("resource a 'Microsoft.Storage/storageAccounts@2025-01-01' = {\n  name: 'x'\n")),
    ).not.toEqual([]);
    expect(syntaxProblems(bad('param p string = )\n'))).not.toEqual([]);
    expect(syntaxProblems(bad("param p string = 'ok'\noutput o string = p\n"))).toEqual([]);
  });

  it('unused parameter, but not one used in an interpolation or as a property value', () => {
    expect(
      unusedParams(bad("param unused string\nparam used string\noutput o string = '${used}'\n")),
    ).toEqual(["bad.bicep:1:1: parameter 'unused' is declared but never used"]);
    // A property key with the same name is not a use.
    expect(unusedParams(bad("param name string\nvar v = { name: 'x' }\noutput o object = v\n"))).toHaveLength(
      1,
    );
  });

  it('API version: missing, preview, too old', () => {
    const f = bad(
      [
        "resource a 'Microsoft.Storage/storageAccounts' = { name: 'a' }",
        "resource b 'Microsoft.App/jobs@2024-08-02-preview' = { name: 'b' }",
        "resource c 'Microsoft.Web/sites@2016-08-01' = { name: 'c' }",
        "resource d 'Microsoft.Web/sites@2024-11-01' = { name: 'd' }",
      ].join('\n'),
    );
    const problems = apiVersionProblems(f);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(
      /'a'.*no explicit @api-version[\s\S]*'b'.*non-GA[\s\S]*'c'.*older than 2020/,
    );
  });

  it('secret outputs: secure param, listKeys, connection string, through a variable, @secure, secret-like name', () => {
    const f = bad(
      [
        '@secure()',
        'param key string',
        "resource sa 'Microsoft.Storage/storageAccounts@2025-01-01' existing = { name: 'x' }",
        "resource ai 'Microsoft.Insights/components@2020-02-02' existing = { name: 'y' }",
        'var derived = toUpper(key)',
        'output a string = key',
        'output b string = sa.listKeys().keys[0].value',
        'output c string = ai.properties.ConnectionString',
        "output d string = 'prefix-${derived}'",
        '@secure()',
        'output e string = sa.name',
        'output storagePassword string = sa.name',
        "output f string = 'DefaultEndpointsProtocol=https;AccountKey=abc'",
        'output fine string = sa.properties.primaryEndpoints.blob',
      ].join('\n'),
    );
    const problems = secretOutputProblems(f);
    expect(problems.map((p) => /output '(\w+)'/.exec(p)?.[1])).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'storagePassword',
      'f',
    ]);
  });

  it('modules: missing path, unreferenced file, unknown or missing param, unknown output', () => {
    const mod = bad(
      "param required string\nparam optional string = 'x'\noutput ok string = required\n",
      'modules/m.bicep',
    );
    const orphan = bad('param p string\noutput o string = p\n', 'modules/orphan.bicep');
    const mainBad = bad(
      [
        "module m 'modules/m.bicep' = {",
        "  name: 'm'",
        '  params: {',
        "    typo: 'x'",
        '  }',
        '}',
        "module gone 'modules/gone.bicep' = {",
        "  name: 'gone'",
        '}',
        'output o string = m.outputs.nope',
      ].join('\n'),
      'main.bicep',
    );
    const problems = moduleProblems([mainBad, mod, orphan]).join('\n');
    expect(problems).toMatch(/passes 'typo', not a param of modules\/m\.bicep/);
    expect(problems).toMatch(/does not pass the required param 'required'/);
    expect(problems).toMatch(/'modules\/gone\.bicep', which does not exist/);
    expect(problems).toMatch(/'m\.outputs\.nope' is not an output of modules\/m\.bicep/);
    expect(problems).toMatch(/modules\/orphan\.bicep: module file is not referenced/);
    expect(problems).not.toMatch(/optional/);
  });

  it('parameters file: missing required param, undeclared param, secure value in the file', () => {
    const f = bad(
      'param needed string\nparam withDefault int = 1\n@secure()\nparam secret string\n',
      'main.bicep',
    );
    const json = JSON.stringify({ parameters: { extra: { value: 1 }, secret: { value: 'leak' } } });
    const problems = parameterFileProblems(f, json).join('\n');
    expect(problems).toMatch(/required parameter 'needed'/);
    expect(problems).toMatch(/'extra' is not a parameter/);
    expect(problems).toMatch(/secure parameter 'secret' must not have a literal value/);
    const ok = JSON.stringify({ parameters: { needed: { value: 'x' }, withDefault: { value: 2 } } });
    expect(parameterFileProblems(f, ok)).toEqual([]);
  });

  it('roles: unknown GUID, non-guid() name, no principalType, unresolvable role', () => {
    const f = bad(
      [
        "resource sa 'Microsoft.Storage/storageAccounts@2025-01-01' existing = { name: 'x' }",
        "var ids = { owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635' }",
        "resource r1 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
        "  name: 'fixed-name'",
        '  scope: sa',
        '  properties: {',
        "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ids.owner)",
        "    principalId: 'p'",
        '  }',
        '}',
        "resource r2 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
        "  name: guid(sa.id, 'p')",
        '  scope: sa',
        '  properties: {',
        "    roleDefinitionId: '/providers/whatever'",
        "    principalId: 'p'",
        "    principalType: 'ServicePrincipal'",
        '  }',
        '}',
      ].join('\n'),
    );
    const problems = roleProblems(f, BUILT_IN_ROLES).join('\n');
    expect(problems).toMatch(/'r1' is not named by guid\(\)/);
    expect(problems).toMatch(/'r1' has no principalType/);
    expect(problems).toMatch(/'r1' uses the unknown role definition 8e3af657/);
    expect(problems).toMatch(/GUID 8e3af657-a8ff-443c-a75c-2fe8c4bcb635 is not a documented built-in role/);
    expect(problems).toMatch(/'r2' has a role definition that does not resolve/);
  });

  it('storage hardening: shared keys on, HTTP allowed, old TLS, public blobs', () => {
    const f = bad(
      [
        "resource sa 'Microsoft.Storage/storageAccounts@2025-01-01' = {",
        "  name: 'x'",
        '  properties: {',
        '    allowSharedKeyAccess: true',
        "    minimumTlsVersion: 'TLS1_0'",
        '  }',
        '}',
      ].join('\n'),
    );
    expect(storageHardeningProblems(f)).toHaveLength(4);
  });

  it('environment contract: a misspelt setting', () => {
    const f = bad(
      [
        "resource site 'Microsoft.Web/sites@2024-11-01' = {",
        "  name: 'x'",
        '  properties: {',
        '    siteConfig: {',
        '      appSettings: [',
        "        { name: 'DP_STORAGE_ACOUNT', value: 'x' }",
        "        { name: 'FOO', value: 'y' }",
        '      ]',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(envContractProblems(f, ENV_CONTRACT)).toEqual([
      "bad.bicep: appSettings entry 'DP_STORAGE_ACOUNT' is not in the environment contract",
    ]);
  });
});

describe('job timing vs the scan claim', () => {
  const maxOf = (param: string): number => {
    const text = readFileSync(join(infraDir, 'main.bicep'), 'utf8');
    const m = new RegExp(`@maxValue\\((\\d+)\\)\\s*\\nparam ${param} int`).exec(text);
    if (!m) throw new Error(`main.bicep: ${param} has no @maxValue right above it`);
    return Number(m[1]);
  };

  it('lets no job execution with all its retries outlive the claim that guards against a second job', () => {
    const worstCaseSeconds = maxOf('jobReplicaTimeoutSeconds') * (maxOf('jobRetryLimit') + 1);
    expect(worstCaseSeconds).toBeLessThan(DEFAULT_CLAIM_TTL_MS / 1000);
  });
});
