// Key Vault (RBAC authorization, soft delete) holding the pseudonymization key and the HTTP
// API keys. Each secret's value comes from a secure parameter and is never an output; readers
// get it through their managed identity and the Key Vault Secrets User role on that one secret.
// An empty value leaves the stored secret as it is, so a redeployment never changes (or drops)
// a key by accident.

@description('Azure region.')
param location string

@description('Key Vault name (3-24 letters, digits and hyphens, globally unique).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Name of the secret holding the pseudonymization key.')
param secretName string

@description('Pseudonymization key: 64 hex characters (`openssl rand -hex 32`); empty keeps the stored one.')
@secure()
param pseudonymKey string

@description('Name of the secret holding the HTTP API keys (DP_API_KEYS).')
param apiKeysSecretName string

@description('API keys for the HTTP API, comma-separated (DP_API_KEYS); empty keeps the stored ones.')
@secure()
param apiKeys string

@description('Turn on purge protection (cannot be turned off again; recommended in production).')
param enablePurgeProtection bool

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    // The service rejects `false` here: omit the property to leave purge protection off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(pseudonymKey)) {
  parent: vault
  name: secretName
  properties: {
    value: pseudonymKey
    contentType: 'hex'
  }
}

resource apiKeysSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(apiKeys)) {
  parent: vault
  name: apiKeysSecretName
  properties: {
    value: apiKeys
    contentType: 'comma-separated'
  }
}

output vaultName string = vault.name
output secretName string = secretName
// Versionless, so readers always get the current version.
output secretUri string = '${vault.properties.vaultUri}secrets/${secretName}'
output apiAccessSecretName string = apiKeysSecretName
output apiAccessSecretUri string = '${vault.properties.vaultUri}secrets/${apiKeysSecretName}'
