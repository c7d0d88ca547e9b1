/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A value safe in an `id` attribute and a URL fragment. */
export function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-');
}

/**
 * Makes a chart's SVG safe to inline next to others: ids (Vega's clip paths) get a per-chart
 * prefix, or the second chart would clip with the first one's rectangle; anything executable is
 * dropped (our charts never contain it, this only guards the page).
 */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/<\?xml[^>]*>/g, '')
    .replace(/<script[\s\S]*?<\/script>/gi, '')
    .replace(/<foreignObject[\s\S]*?<\/foreignObject>/gi, '')
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*')/gi, '')
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}-${id}"`);
}

/**
 * A chart the page pairs with a table of the same numbers: Vega's per-mark ARIA labels (a third
 * of a chart's bytes) are dropped and the chart is hidden from screen readers, which read the
 * table instead of a hundred bar labels.
 */
export function decorativeSvg(svg: string): string {
  return svg
    .replace(/\s(?:aria-label|aria-roledescription|aria-hidden|role)="[^"]*"/g, '')
    .replace(/^(\s*)<svg\b/, '$1<svg aria-hidden="true" focusable="false"');
}
