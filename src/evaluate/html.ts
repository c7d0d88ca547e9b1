import { escapeHtml as e } from '../gold/report/index.js';
import { inlineSvg } from '../gold/report/html.js';
import type { Evaluation, PartitionEvaluation } from './evaluate.js';
import { percent } from './stats.js';

const num = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits });
const pct = percent;

/**
 * `private/evaluation/<id>/evaluation.html`: the data owner's page of an evaluation, with raw
 * values. Labelled as a simulation at the top, in the title and on every chart. Never in Gold.
 */
export function evaluationHtml(ev: Evaluation, svgs: ReadonlyMap<string, string>): string {
  const sections = ev.analyses.map((a, i) => {
    const digits = a.statistic === 'count' ? 0 : 1;
    const unit = a.unit ? ` (${a.unit})` : '';
    const by = a.partition_by.replace(/_category$/, '').replace(/_/g, ' ');
    const row = (p: PartitionEvaluation): string =>
      `<tr><th scope="row">${e(p.key)}</th><td class="num">${e(num(p.raw_unbounded, digits))}</td><td class="num">${e(num(p.bounded.median, digits))}</td><td class="num">${e(num(p.dp?.median, digits))}</td><td class="num">${e(num(p.dp?.p5, digits))} – ${e(num(p.dp?.p95, digits))}</td><td class="num">±${e(num(p.ci95_half_width_median, digits))}</td><td class="num">${e(pct(p.relative_error_median))}</td><td class="num">${e(pct(p.relative_error_vs_bounded_median))}</td><td class="num">${e(pct(p.coverage))}</td><td class="num">${e(p.runs_lost_to_partition_selection)}</td></tr>`;
    const svg = svgs.get(a.chart.svg);
    return `<section aria-labelledby="a${i}"><h2 id="a${i}">${e(a.description)} by ${e(by)} — ${e(a.window.id)} <small>(<code>${e(a.analysis)}</code>, ε = ${e(a.epsilon)})</small></h2>
<p><strong>Median relative error ${e(pct(a.summary.median_relative_error))}</strong> against the raw value (${e(pct(a.summary.median_relative_error_vs_bounded))} against the bounded value: noise alone; split against the raw value: bias ${e(pct(a.summary.median_relative_bias))}, noise ${e(pct(a.summary.median_relative_noise))}) · bounds over the runs: ${e(a.bounds_chosen.map((b) => `L0 ${b.max_partitions_contributed}, Linf ${b.max_contributions_per_partition}${b.bounds ? `, clamp [${b.bounds[0]}, ${b.bounds[1]}]` : ''} ×${b.runs}`).join('; '))} · <strong>interval coverage ${e(pct(a.summary.coverage))}</strong> (target ≥ 95%) · partition-runs lost to partition selection: ${e(a.summary.partition_runs_lost)}</p>
${svg ? `<figure>${inlineSvg(svg, `c${i}`)}</figure>` : ''}
<table><caption>${e(a.description)}${e(unit)} by ${e(by)}, ${e(ev.runs)} simulated runs</caption>
<thead><tr><th scope="col">Partition</th><th scope="col" class="num">Raw (unbounded)</th><th scope="col" class="num">Bounded (median)</th><th scope="col" class="num">DP median</th><th scope="col" class="num">DP p5 – p95</th><th scope="col" class="num">95% interval</th><th scope="col" class="num">Rel. error vs raw</th><th scope="col" class="num">Rel. error vs bounded</th><th scope="col" class="num">Coverage</th><th scope="col" class="num">Runs lost</th></tr></thead>
<tbody>${a.partitions.map(row).join('')}</tbody></table></section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(ev.label)} — evaluation ${e(ev.created_at)}</title>
<style>
body{margin:0 auto;max-width:1180px;padding:0 24px 48px;font:15px/1.5 system-ui,"DejaVu Sans",sans-serif;color:#1a1a1a}
.banner{background:#7a1010;color:#fff;font-weight:700;padding:10px 16px;margin:0 -24px 16px;font-size:18px;letter-spacing:.02em}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:8px 0}
th,td{padding:4px 10px 4px 0;border-bottom:1px solid #e4e4e4;text-align:left}
thead th{border-bottom:2px solid #1a1a1a;font-size:14px}
.num{text-align:right;white-space:nowrap}caption{text-align:left;font-weight:600;color:#4a4a4a}
section{border-top:1px solid #d0d0d0;margin-top:20px;padding-top:12px}
figure{margin:0}figure svg{width:100%;max-width:820px;height:auto}
dt{font-weight:600}dd{margin:0 0 6px}
</style></head>
<body>
<p class="banner" role="note">${e(ev.label)} · private: contains raw values · never publish</p>
<h1>Evaluation: what privacy costs in accuracy</h1>
<p>${e(ev.runs)} simulated releases per analysis and window (${e(ev.windows.join(', '))}), computed with the release code path — same contribution bounding, same noise — but never written to Gold and never charged to the privacy budget. Generated ${e(ev.created_at)}.</p>
<dl>
<dt>Raw (unbounded)</dt><dd>every session counted, values not clamped: what an analyst would compute without privacy.</dd>
<dt>Bounded</dt><dd>after per-visitor contribution bounding and clamping, before noise. It varies slightly between runs because which of a visitor's sessions is kept is sampled.</dd>
<dt>Relative error</dt><dd>|DP − raw| / |raw| (bounding bias plus noise) and |DP − bounded| / |bounded| (noise alone); medians over runs.</dd>
<dt>Coverage</dt><dd>fraction of runs whose published 95% interval contained that run's bounded value; it should be at least 95%. Intervals do not claim to cover the raw value.</dd>
</dl>
${sections.join('\n')}
</body></html>
`;
}
