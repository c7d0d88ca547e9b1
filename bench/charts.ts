/**
 * `npm run bench:charts -- <lake> [rounds]`: renders the chart of every release in
 * `<lake>/gold/releases/<analysis>/<window>.json` (e.g. a lake with the GA360 year run through
 * the pipeline, see docs/performance.md) as the Gold phase does, and prints, per analysis and round, the time
 * of Vega (spec → SVG) and of the PNG (resvg and our encoder), the PNGs' bytes and their zoom
 * (PNG width over SVG width, lowest and highest), then the round's totals with the process's CPU
 * time. Then, per round, the charts drawn as the run draws them (`OverlappedCharts` in
 * src/pipeline/gold-phase.ts: SVG on the main thread, PNGs on the default `PngRasterizer` pool,
 * at most two queued per worker; only the Gold writes are left out): `pooledMsPerChart` is that
 * wall time over the number of charts, issue 16's measure (≤ 30 ms), and `pooledCpuMs` the CPU
 * time of every thread meanwhile (the steadier number when other processes hold a core). Timings
 * are wall-clock on a possibly shared machine: compare rounds, not single numbers.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PngRasterizer, renderReleaseSvg } from '../src/gold/plot/index.js';
import { rasterizeSvg } from '../src/gold/plot/rasterize.js';
import type { Release } from '../src/gold/release.js';
import { decodeRelease } from '../src/gold/schema.js';

const [lake, roundsArg] = process.argv.slice(2);
if (!lake) throw new Error('usage: node dist/bench/charts.js <lake> [rounds]');
const rounds = Number(roundsArg ?? 3);
const rasterizer = new PngRasterizer();

/** The PNG's zoom: its width (IHDR, bytes 16–19) over the SVG's. */
const zoomOf = (svg: string, png: Buffer): number =>
  +(png.readUInt32BE(16) / Number(/^<svg\b[^>]*?\swidth="([0-9.]+)"/.exec(svg)![1])).toFixed(2);

const releases: Release[] = [];
const root = join(lake, 'gold', 'releases');
for (const analysis of (await readdir(root)).sort()) {
  for (const file of (await readdir(join(root, analysis))).sort()) {
    if (file.endsWith('.json')) {
      const path = join(root, analysis, file);
      releases.push(decodeRelease(await readFile(path, 'utf8'), path));
    }
  }
}

for (let round = 1; round <= rounds; round++) {
  const perAnalysis = new Map<
    string,
    { charts: number; vegaMs: number; pngMs: number; pngBytes: number; zoom: [number, number] }
  >();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (const release of releases) {
    const row = perAnalysis.get(release.analysis) ?? {
      charts: 0,
      vegaMs: 0,
      pngMs: 0,
      pngBytes: 0,
      zoom: [Infinity, 0] as [number, number],
    };
    let t0 = performance.now();
    const svg = await renderReleaseSvg(release);
    row.vegaMs += performance.now() - t0;
    t0 = performance.now();
    const png = rasterizeSvg(svg);
    row.pngMs += performance.now() - t0;
    row.pngBytes += png.length;
    const zoom = zoomOf(svg, png);
    row.zoom = [Math.min(row.zoom[0], zoom), Math.max(row.zoom[1], zoom)];
    row.charts++;
    perAnalysis.set(release.analysis, row);
  }
  const wallMs = Math.round(performance.now() - wall0);
  const cpu = process.cpuUsage(cpu0);
  let vegaMs = 0;
  let pngMs = 0;
  let pngBytes = 0;
  for (const [analysis, row] of perAnalysis) {
    vegaMs += row.vegaMs;
    pngMs += row.pngMs;
    pngBytes += row.pngBytes;
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
      pngBytes,
      msPerChart: +(wallMs / releases.length).toFixed(1),
      wallMs,
      cpuMs,
    }),
  );

  const poolCpu0 = process.cpuUsage();
  const pool0 = performance.now();
  const inFlight: Promise<Buffer>[] = [];
  for (const release of releases) {
    const svg = await renderReleaseSvg(release);
    while (inFlight.length >= 2 * rasterizer.size) await inFlight.shift();
    inFlight.push(rasterizer.rasterize(svg));
  }
  await Promise.all(inFlight);
  const pooledMs = performance.now() - pool0;
  const poolCpu = process.cpuUsage(poolCpu0);
  console.log(
    JSON.stringify({
      round,
      charts: releases.length,
      workers: rasterizer.size,
      pooledMs: Math.round(pooledMs),
      pooledMsPerChart: +(pooledMs / releases.length).toFixed(1),
      pooledCpuMs: Math.round((poolCpu.user + poolCpu.system) / 1000),
    }),
  );
}
await rasterizer.close();
