import zlib from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { renderReleaseSvg } from '../../src/gold/plot/index.js';
import { encodePng } from '../../src/gold/plot/png-encode.js';
import { pngRenderOptions, pngZoom, rasterizeSvg } from '../../src/gold/plot/rasterize.js';
import type { ReleasePartition } from '../../src/gold/release.js';
import { sampleRelease } from '../helpers/release.js';

interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  /** The filter type byte of every row. */
  readonly filters: number[];
  /** The unfiltered pixels, RGBA, rows top to bottom. */
  readonly rgba: Buffer;
}

/**
 * A strict PNG reader for 8-bit RGBA files: the signature, every chunk's length and CRC (checked
 * with `zlib.crc32`, not the encoder's own table), IHDR first, IEND last with nothing after it,
 * and the five filter types undone. Throws on anything else.
 */
function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    throw new Error('bad PNG signature');
  }
  const chunks: { type: string; data: Buffer }[] = [];
  let at = 8;
  while (at < png.length) {
    if (at + 12 > png.length) throw new Error(`truncated chunk at byte ${at}`);
    const length = png.readUInt32BE(at);
    if (at + 12 + length > png.length)
      throw new Error(`chunk length ${length} at byte ${at} runs past the file`);
    const type = png.toString('latin1', at + 4, at + 8);
    const crc = png.readUInt32BE(at + 8 + length);
    if (zlib.crc32(png.subarray(at + 4, at + 8 + length)) !== crc) throw new Error(`bad CRC of ${type}`);
    chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  if (chunks[0]?.type !== 'IHDR' || chunks[0].data.length !== 13) throw new Error('IHDR is not first');
  if (chunks.at(-1)?.type !== 'IEND' || chunks.at(-1)!.data.length !== 0) throw new Error('IEND is not last');
  const header = chunks[0].data;
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [bitDepth, colourType, compression, filterMethod, interlace] = header.subarray(8);
  if (bitDepth !== 8 || colourType !== 6) throw new Error('not 8-bit RGBA');
  if (compression !== 0 || filterMethod !== 0 || interlace !== 0) throw new Error('unknown method');

  const raw = zlib.inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = width * 4;
  if (raw.length !== (stride + 1) * height) throw new Error(`${raw.length} bytes of image data`);
  const rgba = Buffer.alloc(stride * height);
  const filters: number[] = [];
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) throw new Error(`unknown filter type ${filter}`);
    filters.push(filter);
    const from = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? rgba[row + x - 4]! : 0;
      const b = y > 0 ? rgba[row - stride + x]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) predictor = paeth(a, b, x >= 4 && y > 0 ? rgba[row - stride + x - 4]! : 0);
      rgba[row + x] = (raw[from + x]! + predictor) & 0xff;
    }
  }
  return { width, height, bitDepth, colourType, filters, rgba };
}

/** The PNG specification's Paeth predictor. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** resvg's pixels of `svg` drawn as charts are drawn (premultiplied RGBA). */
function resvgImage(svg: string): { width: number; height: number; pixels: Buffer; png: Buffer } {
  const image = new Resvg(svg, pngRenderOptions(svg)).render();
  return { width: image.width, height: image.height, pixels: image.pixels, png: image.asPng() };
}

const countries = (n: number): ReleasePartition[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `Country ${i}`,
    value: 9000 - 80 * i,
    ci95: [8990 - 80 * i, 9010 - 80 * i],
  }));

describe('encodePng', () => {
  it("writes a real chart's pixels exactly: 8-bit RGBA, filter None on every row, valid chunks and CRCs", async () => {
    for (const release of [sampleRelease(), sampleRelease({ partitions: countries(100) })]) {
      const svg = await renderReleaseSvg(release);
      const resvg = resvgImage(svg);
      // The chart's background is opaque: every pixel has alpha 255, so the pixels need no demultiplying.
      let translucent = 0;
      for (let i = 3; i < resvg.pixels.length; i += 4) if (resvg.pixels[i] !== 255) translucent++;
      expect(translucent).toBe(0);

      const png = rasterizeSvg(svg);
      const decoded = decodePng(png);
      expect(decoded).toMatchObject({ width: resvg.width, height: resvg.height, bitDepth: 8, colourType: 6 });
      expect(decoded.filters).toEqual(new Array<number>(resvg.height).fill(0));
      expect(decoded.rgba.equals(resvg.pixels)).toBe(true);
      // The same pixels as resvg's own encoder wrote.
      expect(decoded.rgba.equals(decodePng(resvg.png).rgba)).toBe(true);
    }
  });

  it('draws a tall chart at 1×, the same size as its SVG', async () => {
    const svg = await renderReleaseSvg(sampleRelease({ partitions: countries(100) }));
    const [, w, h] = /width="([0-9.]+)" height="([0-9.]+)"/.exec(svg)!.map(Number);
    expect(pngZoom(w!, h!)).toBe(1);
    expect(decodePng(rasterizeSvg(svg))).toMatchObject({ width: w, height: h });
  });

  it("demultiplies translucent pixels to the colours of resvg's own PNG", () => {
    // No background; every alpha from 0 to 255 over colours from dark to light.
    const stops = Array.from(
      { length: 16 },
      (_, i) => `<stop offset="${i / 15}" stop-color="rgb(${17 * i},${255 - 13 * i},${(97 * i) % 256})"/>`,
    );
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="48">' +
      `<defs><linearGradient id="c">${stops.join('')}</linearGradient>` +
      '<linearGradient id="a" x2="0" y2="1"><stop offset="0" stop-color="white" stop-opacity="0"/>' +
      '<stop offset="1" stop-color="white" stop-opacity="1"/></linearGradient>' +
      '<mask id="m"><rect width="256" height="48" fill="url(#a)"/></mask></defs>' +
      '<rect width="256" height="48" fill="url(#c)" mask="url(#m)"/>' +
      '<circle cx="40" cy="24" r="20" fill="#d62728" fill-opacity="0.3"/></svg>';
    const resvg = resvgImage(svg);
    const alphas = new Set<number>();
    for (let i = 3; i < resvg.pixels.length; i += 4) alphas.add(resvg.pixels[i]!);
    expect(alphas.size).toBeGreaterThan(40); // a real test of the translucent path, not only 0 and 255

    const ours = decodePng(encodePng(resvg.pixels, resvg.width, resvg.height, zlib));
    expect(ours.rgba.equals(decodePng(resvg.png).rgba)).toBe(true);
    expect(ours.rgba.equals(resvg.pixels)).toBe(false); // premultiplied pixels differ
  });

  it('is caught by the reader when a CRC or a chunk length is wrong', async () => {
    const png = rasterizeSvg(await renderReleaseSvg(sampleRelease()));
    const damaged = (at: number): Buffer => {
      const copy = Buffer.from(png);
      copy[at] = copy[at]! ^ 0x01;
      return copy;
    };
    expect(() => decodePng(png)).not.toThrow();
    expect(() => decodePng(damaged(8 + 8 + 13))).toThrow(/bad CRC of IHDR/); // IHDR's CRC
    expect(() => decodePng(damaged(8 + 25 + 3))).toThrow(/chunk length|bad CRC|truncated/); // IDAT's length
    expect(() => decodePng(damaged(png.length - 1))).toThrow(/bad CRC of IEND/);
  });

  it('is deterministic and refuses pixels that do not match the size', () => {
    const pixels = new Uint8Array(4 * 3 * 2).fill(255);
    expect(encodePng(pixels, 3, 2, zlib).equals(encodePng(pixels, 3, 2, zlib))).toBe(true);
    expect(() => encodePng(pixels, 4, 2, zlib)).toThrow(/24 bytes are not 4 × 2 RGBA pixels/);
    expect(() => encodePng(new Uint8Array(0), 0, 0, zlib)).toThrow(/not 0 × 0/);
  });
});
