// Container registry for the pipeline image (`az acr build`). The admin user is disabled:
// the job pulls with its managed identity (AcrPull), people push with their Entra identity.

@description('Azure region.')
param location string

@description('Registry name (5-50 letters and digits, globally unique).')
@minLength(5)
@maxLength(50)
param registryName string

@description('Registry SKU.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param skuName string

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' = {
  name: registryName
  location: location
  sku: {
    name: skuName
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output registryName string = registry.name
output loginServer string = registry.properties.loginServer
