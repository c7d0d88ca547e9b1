/**
 * `npm run bench:charts -- <lake> [rounds]`: renders the chart of every release in
 * `<lake>/gold/releases/<analysis>/<window>.json` (e.g. a lake with the GA360 year run through
 * the pipeline, see docs/performance.md) as the Gold phase does, and prints, per analysis and round, the time
 * of Vega (spec → SVG) and of the PNG (resvg), and the PNGs' bytes, then the round's totals with
 * the process's CPU time. Then, per round, the charts drawn as the run draws them (SVG on the main
 * thread, PNGs on the `PngRasterizer` pool sized to the cores, at most two queued per worker):
 * `pooledMsPerChart` is that wall time over the number of charts. Timings are wall-clock on a
 * possibly shared machine: compare rounds, not single numbers.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PngRasterizer, renderReleaseSvg } from '../src/gold/plot/index.js';
import { rasterizeSvg } from '../src/gold/plot/rasterize.js';
import type { Release } from '../src/gold/release.js';

const [lake, roundsArg] = process.argv.slice(2);
if (!lake) throw new Error('usage: node dist/bench/charts.js <lake> [rounds]');
const rounds = Number(roundsArg ?? 3);
const rasterizer = new PngRasterizer();

const releases: Release[] = [];
const root = join(lake, 'gold', 'releases');
for (const analysis of (await readdir(root)).sort()) {
  for (const file of (await readdir(join(root, analysis))).sort()) {
    if (file.endsWith('.json'))
      releases.push(JSON.parse(await readFile(join(root, analysis, file), 'utf8')) as Release);
  }
}

for (let round = 1; round <= rounds; round++) {
  const perAnalysis = new Map<string, { charts: number; vegaMs: number; pngMs: number; pngBytes: number }>();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (const release of releases) {
    const row = perAnalysis.get(release.analysis) ?? { charts: 0, vegaMs: 0, pngMs: 0, pngBytes: 0 };
    let t0 = performance.now();
    const svg = await renderReleaseSvg(release);
    row.vegaMs += performance.now() - t0;
    t0 = performance.now();
    row.pngBytes += rasterizeSvg(svg).length;
    row.pngMs += performance.now() - t0;
    row.charts++;
    perAnalysis.set(release.analysis, row);
  }
  const wallMs = Math.round(performance.now() - wall0);
  const cpu = process.cpuUsage(cpu0);
  let vegaMs = 0;
  let pngMs = 0;
  for (const [analysis, row] of perAnalysis) {
    vegaMs += row.vegaMs;
    pngMs += row.pngMs;
    console.log(
      JSON.stringify({
        round,
        analysis,
        ...row,
        vegaMs: Math.round(row.vegaMs),
        pngMs: Math.round(row.pngMs),
      }),
    );
  }
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  console.log(
    JSON.stringify({
      round,
      charts: releases.length,
      vegaMs: Math.round(vegaMs),
      pngMs: Math.round(pngMs),
      wallMs,
      cpuMs,
    }),
  );

  const pool0 = performance.now();
  const inFlight: Promise<Buffer>[] = [];
  for (const release of releases) {
    const svg = await renderReleaseSvg(release);
    while (inFlight.length >= 2 * rasterizer.size) await inFlight.shift();
    inFlight.push(rasterizer.rasterize(svg));
  }
  await Promise.all(inFlight);
  const pooledMs = performance.now() - pool0;
  console.log(
    JSON.stringify({
      round,
      charts: releases.length,
      workers: rasterizer.size,
      pooledMs: Math.round(pooledMs),
      pooledMsPerChart: +(pooledMs / releases.length).toFixed(1),
    }),
  );
}
await rasterizer.close();
