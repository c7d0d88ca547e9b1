// Read-only access for analysts: Storage Blob Data Reader on the `gold` container only.
// Gold holds DP outputs and public parameters alone; Silver, quarantine and the private run
// reports stay out of reach.

@description('Object id of the analyst user or group.')
param principalId string

@description('Kind of principal: a group of analysts is the usual choice.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string

@description('Lake storage account name.')
param storageAccountName string

// Built-in role definition (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roleIds = {
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
}

resource lake 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource lakeBlobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: lake
  name: 'default'
}

resource gold 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: lakeBlobService
  name: 'gold'
}

resource goldReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(gold.id, principalId, roleIds.storageBlobDataReader)
  scope: gold
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataReader)
    principalId: principalId
    principalType: principalType
  }
}
