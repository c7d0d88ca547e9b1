// Roles of the job's user-assigned identity: it reads Bronze and writes Silver, quarantine,
// Gold and the private run reports (blob data contributor on the lake account), writes the
// checkpoints, budget, releases and erasures tables (table data contributor on the account),
// reads the pseudonymization key (Key Vault Secrets User on that one secret) and pulls the
// image (AcrPull on the registry).

@description('Principal id of the job identity.')
param principalId string

@description('Lake storage account name.')
param storageAccountName string

@description('Container registry name.')
param registryName string

@description('Key Vault name.')
param vaultName string

@description('Name of the pseudonymization key secret.')
param secretName string

// Built-in role definitions (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roleIds = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}

resource lake 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: registryName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: vaultName
}

resource pseudonymKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' existing = {
  parent: vault
  name: secretName
}

resource lakeBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(lake.id, principalId, roleIds.storageBlobDataContributor)
  scope: lake
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource lakeTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(lake.id, principalId, roleIds.storageTableDataContributor)
  scope: lake
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

resource imagePull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, roleIds.acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.acrPull)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
