// Function App on the Flex Consumption plan: the timer (or Event Grid) scan that starts the
// Container Apps Job, and the HTTP API. System-assigned identity everywhere: host storage,
// the deployment package container, the lake, Key Vault references and the ARM job start.
// The Functions host gets its own storage account, so the roles it needs there (blob owner
// for leases and the package) never reach the lake.

@description('Azure region.')
param location string

@description('Function App name (globally unique).')
param functionAppName string

@description('Flex Consumption plan name.')
param planName string

@description('Name of the storage account for the Functions host and the deployment package.')
@minLength(3)
@maxLength(24)
param hostStorageAccountName string

@description('Node.js version of the Functions runtime (a current LTS that Flex Consumption supports).')
@allowed([
  '22'
  '24'
])
param nodeVersion string

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Application Insights component receiving the app telemetry.')
param appInsightsName string

@description('Lake storage account name (DP_STORAGE_ACCOUNT).')
param storageAccountName string

@description('Container Apps Job the scan starts (DP_JOB_NAME).')
param jobName string

@description('Image passed in the job start template (DP_JOB_IMAGE).')
param jobImage string

@description('Container name in the job start template (DP_JOB_CONTAINER_NAME).')
param jobContainerName string

@description('NCRONTAB (6 fields) of the timer scan (DP_SCAN_SCHEDULE).')
param scanSchedule string

@description('What starts a scan: the timer or Event Grid BlobCreated events (DP_TRIGGER).')
@allowed([
  'timer'
  'eventgrid'
])
param trigger string

@description('Versionless URI of the Key Vault secret holding the pseudonymization key.')
param pseudonymKeySecretUri string

@description('Versionless URI of the Key Vault secret holding the HTTP API keys.')
param apiKeysSecretUri string

@description('Pino log level (DP_LOG_LEVEL).')
param logLevel string

var deploymentContainerName = 'app-package'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: hostStorageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
  }
}

resource hostBlobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: hostStorage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: hostBlobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // Names from the environment contract (docs/azure.md, "Deploy to Azure"); Flex Consumption
      // sets FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION itself.
      appSettings: [
        {
          name: 'AzureWebJobsStorage__accountName'
          value: hostStorage.name
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'DP_STORAGE_ACCOUNT'
          value: storageAccountName
        }
        {
          name: 'DP_LAUNCHER'
          value: 'container-apps'
        }
        {
          name: 'AZURE_SUBSCRIPTION_ID'
          value: subscription().subscriptionId
        }
        {
          name: 'DP_JOB_RESOURCE_GROUP'
          value: resourceGroup().name
        }
        {
          name: 'DP_JOB_NAME'
          value: jobName
        }
        {
          name: 'DP_JOB_IMAGE'
          value: jobImage
        }
        {
          name: 'DP_JOB_CONTAINER_NAME'
          value: jobContainerName
        }
        {
          name: 'DP_SCAN_SCHEDULE'
          value: scanSchedule
        }
        {
          name: 'DP_TRIGGER'
          value: trigger
        }
        {
          name: 'DP_PSEUDONYM_KEY'
          value: '@Microsoft.KeyVault(SecretUri=${pseudonymKeySecretUri})'
        }
        {
          name: 'DP_API_KEYS'
          value: '@Microsoft.KeyVault(SecretUri=${apiKeysSecretUri})'
        }
        {
          name: 'DP_LOG_LEVEL'
          value: logLevel
        }
      ]
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

output functionAppName string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
output principalId string = functionApp.identity.principalId
output hostStorageAccountName string = hostStorage.name
