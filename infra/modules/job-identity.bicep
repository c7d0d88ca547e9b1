// User-assigned identity of the Container Apps Job. It exists (and gets its roles) before the
// job is created, so the job's first image pull and Key Vault secret read already work.

@description('Azure region.')
param location string

@description('Identity name.')
param identityName string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
}

output identityId string = identity.id
output identityName string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
