export { LaunchError, type JobLauncher, type LaunchRequest, type LaunchResult } from './launcher.js';
export { LocalProcessLauncher, type LocalProcessLauncherOptions } from './local-process.js';
export { ContainerAppsJobLauncher, type ContainerAppsJobLauncherOptions } from './container-apps.js';
export { launcherFromEnv } from './from-env.js';
