/**
 * The Gold bounding SQL alone, on a lake whose Silver is written (e.g. by `worker.js pipeline`):
 * each analysis of the built-in config bounded on its own, then all of them sharing one read, then
 * all of them with their automatic bounds chosen first (what a run's Gold phase computes).
 * Usage: node dist/bench/gold-sql.js <lakeDir> [repeats=3]
 * Prints one JSON line per repeat: wall and process CPU ms (DuckDB's threads included). The
 * machine is shared, so compare runs of the same process and read CPU next to wall time.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monthWindow, monthsOf, planAll } from '../src/analyses/index.js';
import { boundedAggregates, boundedAggregatesOfAll, boundWithSelection } from '../src/analyses/release.js';
import { loadConfig } from '../src/config/index.js';
import { secureRandom } from '../src/dp/index.js';
import { Engine } from '../src/engine/duckdb.js';
import { openSilverSource } from '../src/silver/silver-source.js';

const [lakeDir, repeatsArg] = process.argv.slice(2);
if (!lakeDir) throw new Error('usage: node dist/bench/gold-sql.js <lakeDir> [repeats]');
const sessions = join(lakeDir, 'silver', 'sessions');
const dirs = (await readdir(sessions)).filter((d) => d.startsWith('date=')).sort();
const files = (
  await Promise.all(
    dirs.map(async (d) => (await readdir(join(sessions, d))).map((f) => join(sessions, d, f))),
  )
).flat();
const windows = monthsOf(dirs.map((d) => d.slice('date='.length))).map(monthWindow);
const plans = planAll(await loadConfig());
const scratch = await mkdtemp(join(tmpdir(), 'dp-bench-gold-sql-'));
const engine = await Engine.open({ tempDirectory: scratch });
const rng = secureRandom();
// Silver written by this version carries the link; older lakes are read under key version v1.
const silver = await openSilverSource(engine, files, { linkVersion: 'v1' });

async function measure<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { ms: Math.round(performance.now() - t0), cpuMs: Math.round((used.user + used.system) / 1000) };
}

for (let r = 0; r < Number(repeatsArg ?? 3); r++) {
  const alone: Record<string, { ms: number; cpuMs: number }> = {};
  for (const plan of plans)
    alone[plan.name] = await measure(() => boundedAggregates(engine, plan, silver, windows, rng));
  const shared = await measure(() =>
    boundedAggregatesOfAll(
      engine,
      plans.map((plan) => ({ plan, windows })),
      silver,
      rng,
    ),
  );
  // What a run does: automatic bounds chosen from the staged rows, then the bounding pass
  // (`shared` above bounds the automatic analyses with their placeholder bounds, no selection).
  const withSelection = await measure(() =>
    boundWithSelection(
      engine,
      plans.map((plan) => ({ plan, windows })),
      silver,
      rng,
    ),
  );
  const sum = Object.values(alone).reduce((a, b) => ({ ms: a.ms + b.ms, cpuMs: a.cpuMs + b.cpuMs }));
  process.stdout.write(
    JSON.stringify({
      files: files.length,
      windows: windows.length,
      alone,
      aloneTotal: sum,
      shared,
      withSelection,
    }) + '\n',
  );
}
engine.close();
await rm(scratch, { recursive: true, force: true });
