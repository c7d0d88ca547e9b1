// Roles of the Function App's system-assigned identity, each on the narrowest scope. The
// Function runs the scan and serves the HTTP API (src/http), so it needs what both touch:
// - its own host storage account: Storage Blob Data Owner (host leases, deployment package);
// - the lake's `bronze` container: Storage Blob Data Contributor (the scan lists new blobs;
//   `POST /event` writes new ones);
// - the lake's `private` container: Storage Blob Data Contributor (the scan writes its manifest
//   `scans/<claim>.json`; `GET /dau|/mau` read the activity ledger `activity*` and the run
//   reports `runs/`; `POST /erase` reads rotated pseudonym keys `keys/`);
// - the lake's `gold` container: Storage Blob Data Contributor (DAU/MAU releases and their
//   charts are written once and re-served);
// - the lake's tables, each by name, Storage Table Data Contributor: `checkpoints` (the scan's
//   ETag-guarded claim), `budget` (the DAU/MAU budget charges, `GET /budget`), `releases` (the
//   release index), `erasures` (`POST /erase` records requests; counts exclude erased users);
// - the pseudonymization key secret: Key Vault Secrets User (the DP_PSEUDONYM_KEY reference);
// - the API keys secret: Key Vault Secrets User (the DP_API_KEYS reference);
// - the pipeline job: Container Apps Jobs Operator (start executions of this job only).
// The Function never sees Silver or quarantine.

@description('Principal id of the Function App identity.')
param principalId string

@description('Lake storage account name.')
param storageAccountName string

@description('The Function App\'s host storage account name.')
param hostStorageAccountName string

@description('Key Vault name.')
param vaultName string

@description('Name of the pseudonymization key secret.')
param secretName string

@description('Name of the HTTP API keys secret.')
param apiKeysSecretName string

@description('Container Apps Job name.')
param jobName string

// Built-in role definitions (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  containerAppsJobsOperator: 'b9a307c4-5aa3-4b52-ba60-2b17c136cd7b'
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: hostStorageAccountName
}

resource lake 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource lakeBlobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: lake
  name: 'default'
}

resource bronze 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: lakeBlobService
  name: 'bronze'
}

resource privateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: lakeBlobService
  name: 'private'
}

resource gold 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: lakeBlobService
  name: 'gold'
}

resource lakeTableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' existing = {
  parent: lake
  name: 'default'
}

resource checkpoints 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' existing = {
  parent: lakeTableService
  name: 'checkpoints'
}

resource budget 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' existing = {
  parent: lakeTableService
  name: 'budget'
}

resource releases 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' existing = {
  parent: lakeTableService
  name: 'releases'
}

resource erasures 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' existing = {
  parent: lakeTableService
  name: 'erasures'
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: vaultName
}

resource pseudonymKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' existing = {
  parent: vault
  name: secretName
}

resource apiKeysSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' existing = {
  parent: vault
  name: apiKeysSecretName
}

resource job 'Microsoft.App/jobs@2025-01-01' existing = {
  name: jobName
}

resource hostBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, principalId, roleIds.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource bronzeWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(bronze.id, principalId, roleIds.storageBlobDataContributor)
  scope: bronze
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource privateWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(privateContainer.id, principalId, roleIds.storageBlobDataContributor)
  scope: privateContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource goldWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(gold.id, principalId, roleIds.storageBlobDataContributor)
  scope: gold
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource checkpointWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(checkpoints.id, principalId, roleIds.storageTableDataContributor)
  scope: checkpoints
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource budgetWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(budget.id, principalId, roleIds.storageTableDataContributor)
  scope: budget
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource releasesWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(releases.id, principalId, roleIds.storageTableDataContributor)
  scope: releases
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource erasuresWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(erasures.id, principalId, roleIds.storageTableDataContributor)
  scope: erasures
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource keyReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(pseudonymKeySecret.id, principalId, roleIds.keyVaultSecretsUser)
  scope: pseudonymKeySecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource apiKeysReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(apiKeysSecret.id, principalId, roleIds.keyVaultSecretsUser)
  scope: apiKeysSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource jobStarter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(job.id, principalId, roleIds.containerAppsJobsOperator)
  scope: job
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.containerAppsJobsOperator)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
