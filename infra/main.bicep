// dp-pipeline on Azure: the lake (Blob + Table storage), the Function App that scans Bronze and
// starts the pipeline job, the Container Apps Job that runs `dp-pipeline run`, the registry for
// its image, monitoring, the Key Vault holding the pseudonymization key and the API keys, and
// least-privilege role assignments. Deploy with:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json -p pseudonymKey=<64 hex> -p apiKeys=<key1,key2>
// (see docs/azure.md, "Deploy to Azure").
targetScope = 'resourceGroup'

@description('Short lowercase name used in every resource name (3-11 letters and digits).')
@minLength(3)
@maxLength(11)
param baseName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Pseudonymization key, 64 hex characters (`openssl rand -hex 32`), stored in Key Vault only. Required on the first deployment; leave it out later to keep the stored key (a different value rotates it).')
@secure()
param pseudonymKey string = ''

@description('API keys of the HTTP API, comma-separated (DP_API_KEYS; e.g. `openssl rand -hex 24` each), stored in Key Vault only. Required on the first deployment; leave it out later to keep the stored keys (a different value replaces them).')
@secure()
param apiKeys string = ''

@description('Tag of `dp-pipeline` in the registry the job runs. Empty on the first deployment, before `az acr build`: the job then points at a public placeholder image.')
param imageTag string = ''

@description('What starts a scan: the timer (default) or Event Grid BlobCreated events on `bronze/` (deploy the Function code first).')
@allowed([
  'timer'
  'eventgrid'
])
param trigger string = 'timer'

@description('NCRONTAB (6 fields) of the timer scan.')
param scanSchedule string = '0 */5 * * * *'

@description('Name of the Event Grid-triggered function (used when trigger is eventgrid).')
param eventGridFunctionName string = 'scanOnBlobCreated'

@description('Pino log level of the Function App and the job.')
@allowed([
  'fatal'
  'error'
  'warn'
  'info'
  'debug'
  'trace'
])
param logLevel string = 'warn'

@description('Node.js version of the Function App.')
@allowed([
  '22'
  '24'
])
param functionNodeVersion string = '22'

@description('vCPUs per job execution, as a decimal string (Consumption: 0.25 to 4).')
param jobCpu string = '2.0'

@description('Memory per job execution (Consumption: 2 GiB per vCPU).')
param jobMemory string = '4Gi'

@description('Seconds a job execution may run before it is stopped. Keep timeout × (retries + 1) under 2 h: the scan\'s claim on the blobs expires after 2 h, and a job still running then could overlap the next one.')
@minValue(60)
@maxValue(2100)
param jobReplicaTimeoutSeconds int = 1800

@description('Retries of a failed job execution (see jobReplicaTimeoutSeconds for the 2 h bound).')
@minValue(0)
@maxValue(2)
param jobRetryLimit int = 2

@description('Container name in the job (DP_JOB_CONTAINER_NAME).')
param jobContainerName string = 'pipeline'

@description('Replication SKU of the lake storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
param storageSku string = 'Standard_ZRS'

@description('Days deleted blobs and containers stay recoverable.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteDays int = 7

@description('Turn on Key Vault purge protection (irreversible; recommended in production).')
param keyVaultPurgeProtection bool = true

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteDays int = 90

@description('Days of log retention.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Object id of the analysts\' Entra group (or user) that may read Gold. Empty: no analyst role.')
param analystPrincipalId string = ''

@description('Kind of the analyst principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param analystPrincipalType string = 'Group'

@description('Bound on Azure Databricks instead of in the job (DP_ENGINE=databricks; docs/azure.md): the workspace host of an existing SQL warehouse, e.g. adb-1234567890123456.7.azuredatabricks.net. Empty (default): the job bounds with its embedded engine and no Databricks setting is used.')
param databricksHost string = ''

@description('HTTP path of that SQL warehouse, e.g. /sql/1.0/warehouses/abcdef0123456789 (used with databricksHost).')
param databricksHttpPath string = ''

@description('Object (principal) id of the Databricks workspace\'s access connector identity, which gets Storage Blob Data Reader on `silver` only. Empty: no role.')
param databricksAccessConnectorPrincipalId string = ''

var suffix = uniqueString(resourceGroup().id)
// Storage account and registry names allow lowercase letters and digits only.
var base = toLower(baseName)
var names = {
  lake: take('${base}${suffix}', 24)
  hostStorage: take('${base}fn${suffix}', 24)
  registry: 'acr${base}${suffix}'
  vault: 'kv-${baseName}-${take(suffix, 8)}'
  workspace: 'log-${baseName}'
  appInsights: 'appi-${baseName}'
  environment: 'cae-${baseName}'
  job: 'job-${baseName}'
  jobIdentity: 'id-job-${baseName}'
  plan: 'plan-${baseName}'
  functionApp: 'func-${baseName}-${suffix}'
  eventTopic: 'evgt-${baseName}'
}
var pseudonymKeySecretName = 'pseudonym-key'
var apiKeysSecretName = 'api-keys'
// Until the first `az acr build`, the job runs Microsoft's public quickstart image.
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart-jobs:latest'
var jobImage = empty(imageTag) ? placeholderImage : '${registry.outputs.loginServer}/dp-pipeline:${imageTag}'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionDays: logRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    accountName: names.lake
    skuName: storageSku
    softDeleteDays: blobSoftDeleteDays
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    registryName: names.registry
    skuName: 'Basic'
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    location: location
    vaultName: names.vault
    secretName: pseudonymKeySecretName
    pseudonymKey: pseudonymKey
    apiKeysSecretName: apiKeysSecretName
    apiKeys: apiKeys
    enablePurgeProtection: keyVaultPurgeProtection
    softDeleteRetentionDays: keyVaultSoftDeleteDays
  }
}

module jobIdentity 'modules/job-identity.bicep' = {
  name: 'job-identity'
  params: {
    location: location
    identityName: names.jobIdentity
  }
}

module jobRoles 'modules/roles-job.bicep' = {
  name: 'roles-job'
  params: {
    principalId: jobIdentity.outputs.principalId
    storageAccountName: storage.outputs.accountName
    registryName: registry.outputs.registryName
    vaultName: keyVault.outputs.vaultName
    secretName: keyVault.outputs.secretName
  }
}

module job 'modules/container-apps-job.bicep' = {
  name: 'container-apps-job'
  params: {
    location: location
    environmentName: names.environment
    jobName: names.job
    workspaceName: monitoring.outputs.workspaceName
    identityId: jobIdentity.outputs.identityId
    identityClientId: jobIdentity.outputs.clientId
    registryLoginServer: registry.outputs.loginServer
    image: jobImage
    containerName: jobContainerName
    storageAccountName: storage.outputs.accountName
    pseudonymKeySecretUri: keyVault.outputs.secretUri
    logLevel: logLevel
    cpu: jobCpu
    memory: jobMemory
    replicaTimeoutSeconds: jobReplicaTimeoutSeconds
    retryLimit: jobRetryLimit
    databricksHost: databricksHost
    databricksHttpPath: databricksHttpPath
  }
  // The identity must be able to pull the image and read the secret before the job exists.
  dependsOn: [
    jobRoles
  ]
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    functionAppName: names.functionApp
    planName: names.plan
    hostStorageAccountName: names.hostStorage
    nodeVersion: functionNodeVersion
    maximumInstanceCount: 40
    instanceMemoryMB: 2048
    appInsightsName: monitoring.outputs.appInsightsName
    storageAccountName: storage.outputs.accountName
    jobName: job.outputs.jobName
    jobImage: jobImage
    jobContainerName: jobContainerName
    scanSchedule: scanSchedule
    trigger: trigger
    pseudonymKeySecretUri: keyVault.outputs.secretUri
    apiKeysSecretUri: keyVault.outputs.apiAccessSecretUri
    logLevel: logLevel
  }
}

module functionRoles 'modules/roles-function.bicep' = {
  name: 'roles-function'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.accountName
    hostStorageAccountName: functionApp.outputs.hostStorageAccountName
    vaultName: keyVault.outputs.vaultName
    secretName: keyVault.outputs.secretName
    apiKeysSecretName: keyVault.outputs.apiAccessSecretName
    jobName: job.outputs.jobName
  }
}

module analystRoles 'modules/roles-analyst.bicep' = if (!empty(analystPrincipalId)) {
  name: 'roles-analyst'
  params: {
    principalId: analystPrincipalId
    principalType: analystPrincipalType
    storageAccountName: storage.outputs.accountName
  }
}

module databricksRoles 'modules/roles-databricks.bicep' = if (!empty(databricksAccessConnectorPrincipalId)) {
  name: 'roles-databricks'
  params: {
    principalId: databricksAccessConnectorPrincipalId
    storageAccountName: storage.outputs.accountName
  }
}

module eventGrid 'modules/event-grid.bicep' = if (trigger == 'eventgrid') {
  name: 'event-grid'
  params: {
    location: location
    topicName: names.eventTopic
    storageAccountName: storage.outputs.accountName
    functionAppName: functionApp.outputs.functionAppName
    functionName: eventGridFunctionName
  }
  dependsOn: [
    functionRoles
  ]
}

output storageAccountName string = storage.outputs.accountName
output blobEndpoint string = storage.outputs.blobEndpoint
output tableEndpoint string = storage.outputs.tableEndpoint
output registryName string = registry.outputs.registryName
output registryLoginServer string = registry.outputs.loginServer
output keyVaultName string = keyVault.outputs.vaultName
output jobName string = job.outputs.jobName
output jobImage string = jobImage
output containerAppsEnvironmentName string = job.outputs.environmentName
output functionAppName string = functionApp.outputs.functionAppName
output functionAppHostName string = functionApp.outputs.defaultHostName
output logAnalyticsWorkspaceName string = monitoring.outputs.workspaceName
