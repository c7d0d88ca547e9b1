import type { Release } from '../release.js';
import { trendsOf } from '../trends/index.js';
import { byAnalysis } from './analyses.js';
import { escapeHtml as e } from './html.js';
import { shortWindowLabel, windowLabel } from './numbers.js';
import { REPORT_CSS, REPORT_JS } from './assets.js';
import { analysisAnchor, analysisSection, headingOf, monthOf, releaseAnchor } from './render-analysis.js';
import { cmp, unique, words } from './words.js';

/** One release as the report shows it: the release@1 JSON, its links inside gold/, its chart. */
export interface ReportRelease {
  readonly release: Release;
  readonly windowId: string;
  readonly links: { readonly json: string; readonly svg: string; readonly png: string };
  /**
   * The chart's SVG, shown for the latest window of each analysis (older windows link their
   * chart); the report shows a note instead when it is missing.
   */
  readonly svg?: string;
}

/**
 * One month of one budget (spent and cap are public parameters). `metric: 'total'` is the
 * month's per-person total over every budget: the guarantee one visitor gets for that month.
 */
export interface BudgetRow {
  readonly metric: string;
  readonly period: string;
  readonly epsilonSpent: number;
  readonly epsilonCap: number;
  /** δ of the composed guarantee (0 when pure). */
  readonly delta?: number;
  readonly releaseCount: number;
}

/** How many of an analysis's windows the navigation names (the latest ones). */
const NAV_WINDOWS = 12;

export interface ReportInput {
  readonly generatedAt: string;
  readonly releases: readonly ReportRelease[];
  readonly budgets: readonly BudgetRow[];
  /** Trend charts (`gold/trends/<analysis>.svg`) by analysis; a note stands in for a missing one. */
  readonly trendCharts?: ReadonlyMap<string, string>;
}

/**
 * The analysts' page, `gold/report.html`: one self-contained HTML document (inline CSS, JS and
 * SVG; no network), organised by analysis, then window. Each analysis opens with its trend
 * across windows (chart with 95% bands and gaps, and every partition × window in a collapsed
 * table), then its windows latest first: the latest open with its chart, a table of values
 * with 95% intervals, its window and creation time and its guarantee in plain words; older
 * windows collapsed (`<details>`), their charts linked rather than inlined, so years of
 * releases stay a light page. Filters by analysis and month; the privacy budget per month.
 * Driven only by the release fields, so new statistics, mechanisms and daily series show
 * without changes here. Everything inserted is escaped.
 *
 * @example
 * ```ts
 * const html = renderReport({ generatedAt: now.toISOString(), releases, budgets, trendCharts });
 * ```
 */
export function renderReport(input: ReportInput): string {
  const groups = byAnalysis(input.releases);
  const trends = new Map(trendsOf(input.releases).map((t) => [t.analysis, t]));
  const total = input.releases.length;
  const months = unique(input.releases.map((r) => monthOf(r.release)))
    .sort()
    .reverse();
  const generated = input.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

  const body = [
    `<header>`,
    `<h1>Differentially private analytics</h1>`,
    `<p class="lede">Every number on this page is a differentially private estimate with a 95% interval. No raw counts, ids or rows are published: one visitor's data barely changes what you see, and the page says by how much next to each result.</p>`,
    `<p class="meta">${total} ${total === 1 ? 'release' : 'releases'} of ${groups.length} ${groups.length === 1 ? 'analysis' : 'analyses'} · page generated ${e(generated)} · <a href="index.json">index.json</a> (machine-readable list) · every value as a table: <a href="tables/releases.parquet">tables/releases.parquet</a> and <code>tables/&lt;analysis&gt;.csv</code></p>`,
    `</header>`,
    `<main>`,
    filters(groups, months),
    budgetPanel(input.budgets),
    `<div id="releases" tabindex="-1">`,
    total === 0
      ? `<p class="empty">No releases yet: a month is released once it has closed (plus the lateness allowance) and a run has processed its data.</p>`
      : `<nav aria-label="Analyses and their windows"><h2>Analyses</h2><ul class="toc">${groups
          .map((g) => {
            const latest = g.releases[0]!.release;
            // The latest windows by name; older ones are a month filter or a scroll away.
            const wins = g.releases
              .slice(0, NAV_WINDOWS)
              .map(
                (r) =>
                  `<li data-release-link data-analysis="${e(g.analysis)}" data-month="${e(monthOf(r.release))}"><a href="#${e(releaseAnchor(r))}">${e(shortWindowLabel(r.release.window))}</a></li>`,
              )
              .join('');
            const more = g.releases.length - NAV_WINDOWS;
            return `<li data-analysis-link data-analysis="${e(g.analysis)}"><a href="#${e(analysisAnchor(g.analysis))}">${e(headingOf(latest))}</a> <span class="meta">(<code>${e(g.analysis)}</code>, ${g.releases.length} ${g.releases.length === 1 ? 'window' : 'windows'}${trends.has(g.analysis) ? ', with trend' : ''})</span><ul class="wins" aria-label="Windows of ${e(g.analysis)}, latest first">${wins}${more > 0 ? `<li class="more">and ${more} older in <a href="#${e(analysisAnchor(g.analysis))}">the section</a></li>` : ''}</ul></li>`;
          })
          .join('')}</ul></nav>`,
    ...groups.map((group) => {
      const trend = trends.get(group.analysis);
      const trendSvg = input.trendCharts?.get(group.analysis);
      return analysisSection({
        group,
        ...(trend ? { trend } : {}),
        ...(trendSvg !== undefined ? { trendSvg } : {}),
      });
    }),
    `</div>`,
    `</main>`,
    `<footer><p>Generated by dp-pipeline from the release records (format <code>dp-pipeline/release@1</code>, listed in <code>gold/index.json</code>). Releases are computed once per analysis and window and never recomputed; trends and tables only redraw them.</p></footer>`,
  ].join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:">
<link rel="icon" href="data:,">
<title>Differentially private analytics — Gold report</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<a class="skip" href="#releases">Skip to the releases</a>
${body}
<script>${REPORT_JS}</script>
</body>
</html>
`;
}

function filters(
  groups: readonly { analysis: string; releases: readonly ReportRelease[] }[],
  months: readonly string[],
): string {
  const option = (value: string, label: string): string => `<option value="${e(value)}">${e(label)}</option>`;
  const monthName = (m: string): string => windowLabel({ start: `${m}-01`, end: lastDayOf(m) });
  return `<form id="filters" class="filters" hidden aria-label="Filter releases">
<div><label for="f-analysis">Analysis</label>
<select id="f-analysis">${option('', 'All analyses')}${groups.map((g) => option(g.analysis, `${headingOf(g.releases[0]!.release)} (${g.analysis})`)).join('')}</select></div>
<div><label for="f-month">Month</label>
<select id="f-month">${option('', 'All months')}${months.map((m) => option(m, monthName(m))).join('')}</select></div>
<p id="f-status" role="status" aria-live="polite"></p>
</form>`;
}

function lastDayOf(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

function budgetPanel(rows: readonly BudgetRow[]): string {
  if (rows.length === 0) {
    return `<section class="budget" aria-labelledby="budget-h"><h2 id="budget-h">Privacy budget per month</h2><p>No budget has been spent yet.</p></section>`;
  }
  // Per month, the total (the guarantee one visitor gets) first, then each budget.
  const rank = (r: BudgetRow): number => (r.metric === 'total' ? 0 : 1);
  const sorted = [...rows].sort(
    (a, b) => cmp(b.period, a.period) || rank(a) - rank(b) || cmp(a.metric, b.metric),
  );
  const fmt = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 4 });
  const line = (r: BudgetRow): string => {
    const share = r.epsilonCap > 0 ? Math.min(1, r.epsilonSpent / r.epsilonCap) : 1;
    const pct = Math.round(share * 100);
    const name =
      r.metric === 'total'
        ? `<strong>total per visitor</strong>${r.delta ? ` (δ = ${e(r.delta)})` : ''}`
        : e(words(r.metric));
    return `<tr${r.metric === 'total' ? ' class="total"' : ''}><th scope="row">${e(r.period)}</th><td>${name}</td><td class="num">${e(fmt(r.epsilonSpent))}</td><td class="num">${e(fmt(r.epsilonCap))}</td><td class="num">${e(fmt(Math.max(0, r.epsilonCap - r.epsilonSpent)))}</td><td class="num">${e(r.releaseCount)}</td><td><span class="bar" role="img" aria-label="${pct}% of the cap spent"><span style="width:${pct}%"${pct >= 100 ? ' class="full"' : ''}></span></span></td></tr>`;
  };
  return `<section class="budget" aria-labelledby="budget-h">
<h2 id="budget-h">Privacy budget per month</h2>
<p>Each release spends part of its month's ε. The <strong>total per visitor</strong> composes every budget of the month (analyses, DAU, MAU, utility analyses): it is the guarantee one visitor's data of that month gets from everything published. When a month's total or any budget's cap is reached, nothing more about that month is released, so its data stays protected however many questions are asked.</p>
<table><caption class="sr">ε spent and cap per month and budget</caption>
<thead><tr><th scope="col">Month</th><th scope="col">Budget</th><th scope="col" class="num">ε spent</th><th scope="col" class="num">ε cap</th><th scope="col" class="num">ε left</th><th scope="col" class="num">Releases</th><th scope="col">Used</th></tr></thead>
<tbody>${sorted.map(line).join('')}</tbody></table>
</section>`;
}
