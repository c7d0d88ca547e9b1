import type { Config } from 'vega-lite';
import type { Release } from '../release.js';
import { FONT_FAMILY } from './font.js';

export const INK = '#222222';
export const MUTED = '#555555';

/** The look every chart shares: the shipped font, dark text, light grid, titles on the left. */
export function chartConfig(): Config {
  return {
    font: FONT_FAMILY,
    view: { stroke: null },
    title: {
      anchor: 'start',
      fontSize: 17,
      fontWeight: 'bold',
      color: INK,
      subtitleFontSize: 12.5,
      subtitleColor: MUTED,
      subtitlePadding: 6,
      offset: 14,
    },
    axis: {
      labelFontSize: 12,
      titleFontSize: 12.5,
      titleFontWeight: 'normal',
      labelColor: INK,
      titleColor: MUTED,
      gridColor: '#e6e6e6',
      domainColor: '#888888',
      tickColor: '#888888',
    },
    axisY: { grid: false },
    axisX: { titlePadding: 10 },
  };
}

/** "Differentially private (ε = 1, per visitor)." — the first subtitle line of every chart. */
export function privacyLine(release: Release): string {
  const { epsilon, delta } = release.privacy;
  const budget = delta > 0 ? `ε = ${epsilon}, δ = ${delta}` : `ε = ${epsilon}`;
  return `Differentially private (${budget}, per visitor).`;
}
