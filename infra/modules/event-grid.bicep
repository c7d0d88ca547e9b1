// Optional event-driven trigger: an Event Grid system topic on the lake account and a
// subscription delivering BlobCreated events under `bronze/` to the Function that runs the
// same scan as the timer. Deploy it after the Function code is published (Event Grid checks
// that the destination function exists).

@description('Azure region of the lake account.')
param location string

@description('System topic name.')
param topicName string

@description('Lake storage account name.')
param storageAccountName string

@description('Function App name.')
param functionAppName string

@description('Name of the Event Grid-triggered function in the Function App.')
param functionName string

resource lake 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: topicName
  location: location
  properties: {
    source: lake.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource bronzeCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'bronze-blob-created'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/bronze/'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output topicName string = topic.name
