import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChartRasterError,
  PNG_WORKERS,
  PngRasterizer,
  renderReleaseChart,
  renderReleaseSvg,
} from '../../src/gold/plot/index.js';
import { rasterizeSvg } from '../../src/gold/plot/rasterize.js';
import { sampleRelease } from '../helpers/release.js';

const BROKEN_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g></svg>';

describe('PngRasterizer', () => {
  const open: PngRasterizer[] = [];
  const rasterizer = (options?: { workerSource?: string; threads?: number }): PngRasterizer => {
    const r = new PngRasterizer(options);
    open.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  it('draws the same PNG bytes on its worker as rasterizeSvg on the main thread', async () => {
    const release = sampleRelease();
    const svg = await renderReleaseSvg(release);
    const r = rasterizer();
    const [a, b] = await Promise.all([r.rasterize(svg), r.rasterize(svg)]);
    expect(a.equals(rasterizeSvg(svg))).toBe(true);
    expect(b.equals(a)).toBe(true);
    const chart = await renderReleaseChart(release, { rasterizer: r });
    expect(chart.svg).toBe(svg);
    expect(chart.png.equals(a)).toBe(true);
  });

  it("rejects a chart resvg cannot draw with resvg's reason, and keeps drawing the next ones", async () => {
    const r = rasterizer();
    const svg = await renderReleaseSvg(sampleRelease());
    const [bad, good] = await Promise.allSettled([r.rasterize(BROKEN_SVG), r.rasterize(svg)]);
    expect(bad.status).toBe('rejected');
    const error = (bad as PromiseRejectedResult).reason as ChartRasterError;
    expect(error).toBeInstanceOf(ChartRasterError);
    expect(error.code).toBe('CHART_RASTER_FAILED');
    expect(error.message).toMatch(/cannot rasterize chart: SVG data parsing failed/);
    expect(good.status).toBe('fulfilled');
  });

  it('spreads concurrent charts over its pool of workers, each drawing its own', async () => {
    // A stand-in worker that answers with its thread id instead of a PNG.
    const r = rasterizer({
      threads: 2,
      workerSource: `const { parentPort, threadId } = require('node:worker_threads');
        parentPort.on('message', ({ id }) => parentPort.postMessage({ id, png: Buffer.from(String(threadId)) }));`,
    });
    expect(r.size).toBe(2);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>';
    const drawnBy = await Promise.all([1, 2, 3, 4].map(() => r.rasterize(svg)));
    const threads = new Set(drawnBy.map((b) => b.toString()));
    expect(threads.size).toBe(2);
    expect(r.pending).toBe(0);
  });

  it('runs two workers by default (one on a single core), or the number asked for', () => {
    expect(PNG_WORKERS).toBe(2);
    expect(rasterizer().size).toBe(Math.min(2, availableParallelism()));
    expect(rasterizer({ threads: 3 }).size).toBe(3);
  });

  it('rejects an SVG without a size before it reaches the worker', async () => {
    await expect(rasterizer().rasterize('<svg/>')).rejects.toThrow(ChartRasterError);
  });

  it('rejects the charts a dying worker owed, and every chart after close', async () => {
    const dying = rasterizer({
      workerSource: "require('node:worker_threads').parentPort.on('message', () => process.exit(3));",
    });
    await expect(dying.rasterize(BROKEN_SVG)).rejects.toThrow(/PNG worker exited \(code 3\)/);
    // A new worker is started for the next chart (and dies the same way here).
    await expect(dying.rasterize(BROKEN_SVG)).rejects.toThrow(/PNG worker exited/);

    const r = rasterizer();
    const pending = expect(r.rasterize(await renderReleaseSvg(sampleRelease()))).rejects.toThrow(
      /closed before the chart was drawn/,
    );
    await r.close();
    await pending;
    await expect(r.rasterize(BROKEN_SVG)).rejects.toThrow(/closed/);
    await r.close();
  });

  it('does not keep the process alive when idle, even if never closed', async () => {
    const built = join(import.meta.dirname, '../../dist/src/gold/plot/index.js');
    const script = `
      const { PngRasterizer } = await import(${JSON.stringify(built)});
      const r = new PngRasterizer();
      const png = await r.rasterize('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
      console.log(png.subarray(1, 4).toString());`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('PNG');
  });
});
