// Container Apps environment (logs to Log Analytics) and the pipeline's manual-trigger Job.
// The Function App starts executions through the ARM `jobs/{name}/start` API; each execution
// runs `dp-pipeline run` (the image's default command) against the lake named by
// DP_STORAGE_ACCOUNT, authenticating as the job's user-assigned identity.

@description('Azure region.')
param location string

@description('Container Apps environment name.')
param environmentName string

@description('Job name (2-32 lowercase letters, digits and hyphens).')
@minLength(2)
@maxLength(32)
param jobName string

@description('Log Analytics workspace receiving the environment logs.')
param workspaceName string

@description('Resource id of the job\'s user-assigned identity.')
param identityId string

@description('Client id of the job\'s user-assigned identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
param identityClientId string

@description('Login server of the registry the image is pulled from.')
param registryLoginServer string

@description('Full image reference the job runs.')
param image string

@description('Name of the job\'s container (DP_JOB_CONTAINER_NAME).')
param containerName string

@description('Lake storage account name (DP_STORAGE_ACCOUNT).')
param storageAccountName string

@description('Versionless URI of the Key Vault secret holding the pseudonymization key.')
param pseudonymKeySecretUri string

@description('Pino log level of the pipeline (DP_LOG_LEVEL).')
param logLevel string

@description('vCPUs per execution, as a decimal string (Consumption: 0.25 to 4).')
param cpu string

@description('Memory per execution (Consumption: 2 GiB per vCPU, e.g. 4Gi for 2 vCPUs).')
param memory string

@description('Seconds an execution may run before it is stopped.')
param replicaTimeoutSeconds int

@description('Retries of a failed execution (the pipeline exits non-zero on failure and is idempotent).')
param retryLimit int

@description('Workspace host of the SQL warehouse that bounds contributions (DP_DATABRICKS_HOST); empty: the embedded engine (DP_ENGINE=duckdb).')
param databricksHost string = ''

@description('HTTP path of that SQL warehouse (DP_DATABRICKS_HTTP_PATH).')
param databricksHttpPath string = ''

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
  }
}

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: jobName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: replicaTimeoutSeconds
      replicaRetryLimit: retryLimit
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'pseudonym-key'
          keyVaultUrl: pseudonymKeySecretUri
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: containerName
          image: image
          // The image's entrypoint is `node /app/dist/src/cli/main.js`; `run` is its default
          // command, repeated here so the job definition says what an execution does.
          args: [
            'run'
          ]
          env: [
            {
              name: 'DP_STORAGE_ACCOUNT'
              value: storageAccountName
            }
            {
              name: 'DP_PSEUDONYM_KEY'
              secretRef: 'pseudonym-key'
            }
            {
              name: 'DP_LOG_LEVEL'
              value: logLevel
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            {
              name: 'DP_ENGINE'
              value: empty(databricksHost) ? 'duckdb' : 'databricks'
            }
            {
              name: 'DP_DATABRICKS_HOST'
              value: databricksHost
            }
            {
              name: 'DP_DATABRICKS_HTTP_PATH'
              value: databricksHttpPath
            }
          ]
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
    }
  }
}

output environmentName string = environment.name
output jobName string = job.name
