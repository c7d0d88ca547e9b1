import { goldTableKeys } from '../../lake/index.js';
import { isDateSeries } from '../plot/index.js';
import type { Release } from '../release.js';
import type { Trend } from '../trends/index.js';
import type { AnalysisGroup } from './analyses.js';
import { plainGuarantee, usesPartitionSelection } from './guarantee.js';
import { decorativeSvg, escapeHtml as e, inlineSvg, slug } from './html.js';
import { humanDuration, numbersFormatter, shortWindowLabel, valueFormatter, windowLabel } from './numbers.js';
import type { ReportRelease } from './render-report.js';
import { capitalize, cmp, words } from './words.js';

/** One analysis as the report shows it: its releases (latest first), its trend and the trend's chart. */
export interface AnalysisView {
  readonly group: AnalysisGroup<ReportRelease>;
  readonly trend?: Trend;
  /** The trend chart's SVG (`gold/trends/<analysis>.svg`); a note stands in when it is missing. */
  readonly trendSvg?: string;
}

/** `id` of an analysis's section. */
export function analysisAnchor(analysis: string): string {
  return `a-${slug(analysis)}`;
}

/** `id` of a release's `<details>`. */
export function releaseAnchor(r: Pick<ReportRelease, 'release' | 'windowId'>): string {
  return `r-${slug(r.release.analysis)}-${slug(r.windowId)}`;
}

/** The month a release belongs to for the month filter: that of its window's last day. */
export function monthOf(release: Release): string {
  return release.window.end.slice(0, 7);
}

export function headingOf(release: Release): string {
  return isDateSeries(release) || release.partition_by === 'day'
    ? release.description
    : `${release.description} by ${words(release.partition_by)}`;
}

/**
 * An analysis's section: its heading, the trend across windows (chart, gaps, and every
 * partition × window in a collapsed table) when it has more than one window, then one
 * `<details>` per window, the latest open with its chart, older ones collapsed and without an
 * inline chart (linked instead), so a year or three of releases stays a light page.
 */
export function analysisSection(view: AnalysisView): string {
  const { group, trend } = view;
  const latest = group.releases[0]!;
  const id = analysisAnchor(group.analysis);
  const oldest = group.releases.at(-1)!;
  const n = group.releases.length;
  const span =
    n === 1
      ? windowLabel(latest.release.window)
      : `${windowLabel(oldest.release.window)} to ${windowLabel(latest.release.window)}`;
  const tables = goldTableKeys(group.analysis);
  return `<section class="analysis" id="${e(id)}" data-analysis="${e(group.analysis)}" aria-labelledby="${e(id)}-h">
<h2 id="${e(id)}-h">${e(headingOf(latest.release))}</h2>
<p class="meta"><code>${e(group.analysis)}</code> · ${n} ${n === 1 ? 'window' : 'windows'}, ${e(span)} · every value of every window: <a href="${e(tables.csv)}">CSV</a> · <a href="${e(tables.parquet)}">Parquet</a></p>
${trend ? trendBlock(trend, view.trendSvg) : ''}
<div class="windows">
${windows(group, trend)}
</div>
</section>`;
}

/**
 * The windows, latest first: the latest open in full. Older ones collapsed, each as light as it
 * can be, since a year or three of them must stay a light page: with a partition × window table
 * above (the trend's), an older window points to its column instead of repeating its values;
 * analyses of one value per window (DAU, MAU) list their older windows as rows of one table.
 */
function windows(group: AnalysisGroup<ReportRelease>, trend: Trend | undefined): string {
  const [latest, ...older] = group.releases;
  const first = releaseDetails(latest!, latest!, { latest: true, table: true });
  if (older.length === 0) return first;
  if (group.releases.every((r) => r.release.partitions.length === 1)) {
    return `${first}\n${olderRows(older)}`;
  }
  const table = trend?.kind !== 'partitions';
  return [first, ...older.map((r) => releaseDetails(r, latest!, { latest: false, table }))].join('\n');
}

/** Older windows of a one-value analysis: one collapsed table, a row (the release) per window. */
function olderRows(older: readonly ReportRelease[]): string {
  const fmt = numbersFormatter(older.flatMap((r) => r.release.partitions));
  const unit = older[0]!.release.privacy.unit;
  const rows = older
    .map((r) => {
      const { release } = r;
      const p = release.partitions[0]!;
      return `<tr id="${e(releaseAnchor(r))}" data-release data-analysis="${e(release.analysis)}" data-window="${e(r.windowId)}" data-month="${e(monthOf(release))}"><th scope="row">${e(shortWindowLabel(release.window))}</th><td class="num">${e(fmt(p.value))}</td><td class="num">${e(fmt(p.ci95[0]))} – ${e(fmt(p.ci95[1]))}</td><td class="num">${e(release.privacy.epsilon)}</td><td><a href="${e(r.links.json)}">JSON</a></td></tr>`;
    })
    .join('');
  return `<details class="older"><summary>Older windows: ${older.length}, one value each</summary>
<table class="values"><caption>${e(headingOf(older[0]!.release))}: DP estimate and 95% interval per window${unit ? ` (${e(unit)})` : ''}</caption>
<thead><tr><th scope="col">Window</th><th scope="col" class="num">Estimate</th><th scope="col" class="num">95% interval</th><th scope="col" class="num">ε</th><th scope="col">File</th></tr></thead>
<tbody>${rows}</tbody></table></details>`;
}

function trendBlock(trend: Trend, svg: string | undefined): string {
  const id = `t-${slug(trend.analysis)}`;
  const gaps = trend.gaps.map((g) => gapLabel(g, trend.monthly));
  const chart =
    svg !== undefined
      ? `<figure class="chart trend" aria-labelledby="${e(id)}-c">${decorativeSvg(inlineSvg(svg, id))}<figcaption id="${e(id)}-c" class="sr">Trend of ${e(trend.description)} across ${trend.windows.length} windows; the values are in the table below.</figcaption></figure>`
      : `<p class="note">The trend chart is missing; every value is in the table below and in tables/${e(trend.analysis)}.csv.</p>`;
  const notes = [
    `The trend redraws the ${trend.windows.length} published releases below: post-processing, so it spends no privacy budget.`,
    gaps.length > 0
      ? `Not released: ${gaps.join('; ')} — a gap, not a zero (a refused budget, or no data to release).`
      : '',
    trend.selected
      ? 'Keys are chosen by private partition selection: a key missing from a window was not selected there, which is not a zero.'
      : '',
  ].filter((s) => s !== '');
  return `<div class="trend-block">
${chart}
<p class="note">${notes.map(e).join(' ')}</p>
${trend.kind === 'partitions' ? matrix(trend) : ''}
</div>`;
}

function gapLabel(g: Trend['gaps'][number], monthly: boolean): string {
  if (monthly && g.start.endsWith('-01')) {
    const months: string[] = [];
    for (let m = g.start.slice(0, 7); `${m}-01` <= g.end; m = nextMonth(m)) {
      months.push(windowLabel({ start: `${m}-01`, end: lastDay(m) }));
    }
    return months.join(', ');
  }
  return g.start === g.end ? g.start : `${g.start} to ${g.end}`;
}

/** Every partition × window of the trend's first output, in a collapsed table (the lines not drawn too). */
function matrix(trend: Trend): string {
  const fmt = numbersFormatter([...trend.cells.values()].flatMap((m) => [...m.values()]));
  const unit = trend.unit && trend.output !== 'count' ? ` (${trend.unit})` : '';
  const head = trend.windows
    .map((w) => `<th scope="col" class="num">${e(shortWindowLabel(w))}</th>`)
    .join('');
  const rows = trend.series
    .map((key) => {
      const cells = trend.cells.get(key)!;
      const tds = trend.windows
        .map((w) => {
          const c = cells.get(w.windowId);
          if (!c) return `<td class="na">—</td>`;
          const [lo, hi] = c.ci95;
          // A symmetric interval as ± its half-width: half the bytes of a year of cells.
          const ci = hi - c.value === c.value - lo ? `±${fmt(hi - c.value)}` : `${fmt(lo)} – ${fmt(hi)}`;
          return `<td class="num">${e(fmt(c.value))}<small>${e(ci)}</small></td>`;
        })
        .join('');
      return `<tr><th scope="row">${e(key)}</th>${tds}</tr>`;
    })
    .join('');
  const what = `${trend.series.length} ${trend.series.length === 1 ? 'partition' : words(trend.partitionBy) + ' values'}`;
  const drawn =
    trend.series.length > trend.shown.length ? ` (the chart draws the top ${trend.shown.length})` : '';
  return `<details class="matrix"><summary>Every window in one table: ${e(what)} × ${trend.windows.length} windows${e(drawn)}</summary>
<div class="scroll" role="region" aria-label="${e(trend.description)} by window" tabindex="0"><table>
<caption>${e(trend.description)}${trend.outputs.length > 1 ? ` (${e(trend.output)})` : ''}${e(unit)}: DP estimate and 95% interval per window; — not released there, not a zero</caption>
<thead><tr><th scope="col">${e(capitalize(words(trend.partitionBy)))}</th>${head}</tr></thead>
<tbody>${rows}</tbody></table></div></details>`;
}

/**
 * One window of an analysis, collapsed unless it is the latest (which alone inlines its chart).
 * Without `table`, its values are not repeated: they are in the trend's table above.
 */
function releaseDetails(
  r: ReportRelease,
  latest: ReportRelease,
  options: { readonly latest: boolean; readonly table: boolean },
): string {
  const isLatest = options.latest;
  const { release } = r;
  const id = releaseAnchor(r);
  const privacy = release.privacy;
  const n = release.partitions.length;
  const summary = `${n} ${n === 1 ? 'value' : 'partitions'} · ε = ${privacy.epsilon}${privacy.delta > 0 ? `, δ = ${privacy.delta}` : ''}`;
  const chips = [
    `ε = ${privacy.epsilon}`,
    privacy.delta > 0 ? `δ = ${privacy.delta}` : 'δ = 0',
    `statistic: ${words(release.statistic)}`,
    `${n} ${n === 1 ? 'partition' : 'partitions'}`,
  ];
  const files = `<a href="${e(r.links.json)}">JSON</a> · <a href="${e(r.links.svg)}">SVG</a> · <a href="${e(r.links.png)}">PNG</a>`;
  let chart: string;
  if (!isLatest) {
    chart = `<p class="note">Chart of this window: <a href="${e(r.links.svg)}">SVG</a> · <a href="${e(r.links.png)}">PNG</a>.</p>`;
  } else if (r.svg !== undefined) {
    chart = `<figure class="chart">${decorativeSvg(inlineSvg(r.svg, `c-${slug(release.analysis)}`))}<figcaption class="sr">Chart of the values in the table below.</figcaption></figure>`;
  } else {
    chart = `<p class="note">The chart for this release is missing; the values are in the table.</p>`;
  }
  const guarantee =
    isLatest || !samePrivacy(release, latest.release)
      ? `<dl class="guarantee">${plainGuarantee(release)
          .map((g) => `<div><dt>${e(g.label)}</dt><dd>${e(g.text)}</dd></div>`)
          .join('')}</dl>`
      : `<p>The same parameters as ${e(windowLabel(latest.release.window))} (the latest window, above), for each visitor across all their sessions in ${e(windowLabel(release.window))}.</p>`;
  return `<details class="release" id="${e(id)}" data-release data-analysis="${e(release.analysis)}" data-window="${e(r.windowId)}" data-month="${e(monthOf(release))}"${isLatest ? ' open' : ''}>
<summary><h3 id="${e(id)}-h">${e(windowLabel(release.window))}</h3><span class="sum">${e(summary)}${isLatest ? ' · latest' : ''}</span></summary>
<p class="meta">window ${e(release.window.start)} to ${e(release.window.end)} · computed <time datetime="${e(release.created_at)}">${e(release.created_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</time> · run ${e(release.run_id)}</p>
<ul class="chips">${chips.map((c) => `<li>${e(c)}</li>`).join('')}</ul>
${chart}
<div class="grid">
<div class="data">${
    options.table
      ? valuesTable(release)
      : `<p>Its values and 95% intervals are the column “${e(shortWindowLabel(release.window))}” of the table of every window above, and in <a href="${e(r.links.json)}">its release JSON</a>.</p>`
  }</div>
<aside class="privacy" aria-label="Privacy guarantee of this release"><h4>What protects these numbers</h4>${guarantee}
<p class="links">Files: ${files}</p></aside>
</div>
</details>`;
}

function valuesTable(release: Release): string {
  const fmt = valueFormatter(release);
  const unit = release.privacy.unit ? ` (${release.privacy.unit})` : '';
  const series = isDateSeries(release);
  const rows = [...release.partitions].sort((a, b) =>
    series ? cmp(a.key, b.key) : b.value - a.value || cmp(a.key, b.key),
  );
  const body = rows
    .map(
      (p) =>
        `<tr><th scope="row">${e(p.key)}</th><td class="num">${e(fmt(p.value))}${duration(p.value, release.privacy.unit)}</td><td class="num">${e(fmt(p.ci95[0]))} – ${e(fmt(p.ci95[1]))}</td><td class="num">${e(fmt((p.ci95[1] - p.ci95[0]) / 2))}</td></tr>`,
    )
    .join('');
  const empty =
    rows.length === 0
      ? `<p class="note">${usesPartitionSelection(release) ? 'No partition had enough visitors to be selected for release.' : 'This release has no partitions.'}</p>`
      : '';
  return `<table class="values">
<caption>${e(headingOf(release))}, ${e(windowLabel(release.window))}: DP estimates and 95% intervals${e(unit)}</caption>
<thead><tr><th scope="col">${e(capitalize(words(release.partition_by)))}</th><th scope="col" class="num">Estimate${e(unit)}</th><th scope="col" class="num">95% interval${e(unit)}</th><th scope="col" class="num">± margin</th></tr></thead>
<tbody>${body}</tbody></table>${empty}`;
}

/** Whether two releases of an analysis have the same privacy parameters (so one guarantee text serves both). */
function samePrivacy(a: Release, b: Release): boolean {
  return (
    JSON.stringify(a.privacy) === JSON.stringify(b.privacy) &&
    a.statistic === b.statistic &&
    a.partition_by === b.partition_by &&
    usesPartitionSelection(a) === usesPartitionSelection(b)
  );
}

function duration(value: number, unit: string | undefined): string {
  const text = humanDuration(value, unit);
  return text === undefined ? '' : ` <span class="aside">(${e(text)})</span>`;
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7);
}

function lastDay(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}
