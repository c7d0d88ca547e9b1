import type { TestProject } from 'vitest/node';
import { startAzurite } from './azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the in-memory Azurite started for this test run. */
    azuriteConn: string;
  }
}

/** Starts one Azurite for the whole test run; tests read `inject('azuriteConn')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azuriteConn', azurite.connectionString);
  return () => azurite.stop();
}
