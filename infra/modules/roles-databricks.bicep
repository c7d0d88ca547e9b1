// Optional, for bounding on Azure Databricks (DP_ENGINE=databricks): the workspace's access
// connector (the managed identity Unity Catalog's storage credential uses) may read the `silver`
// container, and nothing else. The warehouse reads only the committed Silver files the job names
// by abfss:// URI; Bronze, quarantine, Gold and the private run reports stay out of its reach.

@description('Object (principal) id of the Azure Databricks access connector\'s managed identity.')
param principalId string

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

resource silver 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: lakeBlobService
  name: 'silver'
}

resource silverReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(silver.id, principalId, roleIds.storageBlobDataReader)
  scope: silver
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
