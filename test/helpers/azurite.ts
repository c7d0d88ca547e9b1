import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Azurite's well-known development account key (public, documented by Microsoft). */
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  readonly connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts Azurite (blob, queue, table) in memory on free ports, as a child process (its npm
 * main is a VS Code extension, so the CLI is spawned), and resolves once all three listen.
 */
export async function startAzurite(): Promise<RunningAzurite> {
  const pkg = createRequire(import.meta.url).resolve('azurite/package.json');
  const workDir = await mkdtemp(join(tmpdir(), 'dp-azurite-'));
  const child = spawn(
    process.execPath,
    [
      join(dirname(pkg), 'dist/src/azurite.js'),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
      '--silent',
      '--blobPort',
      '0',
      '--queuePort',
      '0',
      '--tablePort',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: workDir },
  );
  const ports = await new Promise<Record<string, string>>((resolve, reject) => {
    const found: Record<string, string> = {};
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/g,
      )) {
        found[m[1]!] = m[2]!;
      }
      if (found.Blob && found.Queue && found.Table) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code}:\n${out}`));
    });
  });
  child.removeAllListeners('exit');
  const host = 'http://127.0.0.1';
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};` +
    `BlobEndpoint=${host}:${ports.Blob}/devstoreaccount1;QueueEndpoint=${host}:${ports.Queue}/devstoreaccount1;` +
    `TableEndpoint=${host}:${ports.Table}/devstoreaccount1;`;
  return { connectionString, stop: () => stopChild(child, workDir) };
}

async function stopChild(child: ChildProcess, workDir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(workDir, { recursive: true, force: true });
}
