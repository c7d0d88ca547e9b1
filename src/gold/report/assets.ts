/** The report's stylesheet: system fonts, high contrast, visible focus, one column on narrow screens. */
export const REPORT_CSS = `
:root{--ink:#1a1a1a;--muted:#4a4a4a;--line:#d0d0d0;--accent:#0b5394;--soft:#f3f6fa}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1180px;padding:0 24px 48px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#fff}
h1{font-size:28px;margin:24px 0 4px}
h2{font-size:20px;margin:0 0 4px}
h3{font-size:15px;margin:0 0 8px}
a{color:var(--accent)}
:focus-visible{outline:3px solid #c45500;outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px 10px;z-index:1}
.lede{max-width:72ch;margin:4px 0}
.meta{color:var(--muted);margin:2px 0 8px;font-size:14px}
.filters{display:flex;flex-wrap:wrap;gap:12px 24px;align-items:flex-end;background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:16px 0;position:sticky;top:0;z-index:1}
.filters label{display:block;font-weight:600;font-size:14px}
.filters select{font:inherit;padding:4px 6px;min-width:16em;border:1px solid #767676;border-radius:4px;background:#fff;color:var(--ink)}
.filters p{margin:0;color:var(--muted)}
.budget,nav{border-top:1px solid var(--line);padding-top:16px;margin-top:20px}
.analysis{border-top:2px solid var(--line);padding-top:16px;margin-top:28px}
/* Off-screen analyses are laid out only when scrolled to: years of releases load like one. */
.analysis{content-visibility:auto;contain-intrinsic-size:auto 1400px}
.toc{margin:4px 0;padding-left:20px}.toc>li{margin:0 0 6px}
.wins{list-style:none;padding:0;margin:2px 0 0;display:flex;flex-wrap:wrap;gap:0 12px;font-size:13px}
details.release{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:0 14px}
details.release>summary{cursor:pointer;padding:8px 0}
details.release[open]>summary{border-bottom:1px solid #e4e4e4;margin-bottom:8px}
summary h3{display:inline;font-size:16px;margin:0}
summary .sum{color:var(--muted);font-size:14px;margin-left:10px}
h4{font-size:15px;margin:0 0 8px}
.matrix{margin:8px 0 16px}.matrix>summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
.matrix td small{display:block;color:var(--muted);font-size:12px;white-space:nowrap}
.older{margin:8px 0}.older>summary{cursor:pointer;font-weight:600;padding:4px 0}
.na{color:#767676;text-align:center}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 12px 4px 0;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid var(--ink);font-size:14px}
.num{text-align:right}
caption{text-align:left;font-weight:600;padding:4px 0;color:var(--muted);font-size:14px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bar{display:inline-block;width:120px;height:10px;background:#e4e4e4;border-radius:5px;overflow:hidden;vertical-align:middle}
.bar>span{display:block;height:100%;background:var(--accent)}.bar>span.full{background:#a61b1b}
.window{font-weight:normal;color:var(--muted)}
.chips{list-style:none;padding:0;margin:4px 0 8px;display:flex;flex-wrap:wrap;gap:6px}
.chips li{background:var(--soft);border:1px solid var(--line);border-radius:12px;padding:0 10px;font-size:13px}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:24px;align-items:start}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
.chart{margin:8px 0}
.chart svg{width:100%;max-width:860px;height:auto;display:block}
.trend svg{max-width:980px}
.privacy{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:12px 14px;font-size:14px}
.guarantee{margin:0}.guarantee div{margin:0 0 8px}.guarantee dt{font-weight:600}.guarantee dd{margin:0}
.links{margin:8px 0 0}
.note,.empty,.aside{color:var(--muted)}
footer{margin-top:32px;color:var(--muted);font-size:13px;border-top:1px solid var(--line);padding-top:8px}
[hidden]{display:none!important}
`;

/**
 * Filters by analysis and month (a month opens the windows it matches; clearing it closes them
 * again), and a link to a window opens its `<details>`. Everything shows without script.
 */
export const REPORT_JS = `
(function () {
  var form = document.getElementById('filters');
  var a = document.getElementById('f-analysis');
  var m = document.getElementById('f-month');
  var status = document.getElementById('f-status');
  var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var items = all('[data-release]');
  var sections = all('section.analysis');
  var analysisLinks = all('[data-analysis-link]');
  var windowLinks = all('[data-release-link]');
  // A release is a <details>, or a row of the collapsed table of older one-value windows.
  function holder(el) { return el.tagName === 'DETAILS' ? el : el.closest('details'); }
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    var d = el && el.hasAttribute('data-release') ? holder(el) : null;
    if (d && !d.open) { d.open = true; el.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  if (!form || !a || !m || items.length === 0) return;
  form.hidden = false;
  form.addEventListener('submit', function (ev) { ev.preventDefault(); });
  function matches(el) {
    return (!a.value || el.getAttribute('data-analysis') === a.value) &&
      (!m.value || el.getAttribute('data-month') === m.value);
  }
  function apply() {
    var shown = 0;
    var withShown = {};
    items.forEach(function (el) {
      var ok = matches(el);
      el.hidden = !ok;
      if (ok) { shown++; withShown[el.getAttribute('data-analysis')] = true; }
      var d = holder(el);
      if (d && m.value && ok && !d.open) { d.open = true; d.setAttribute('data-filter-opened', ''); }
    });
    if (!m.value) all('[data-filter-opened]').forEach(function (d) { d.open = false; d.removeAttribute('data-filter-opened'); });
    sections.forEach(function (el) { el.hidden = !withShown[el.getAttribute('data-analysis')]; });
    analysisLinks.forEach(function (el) { el.hidden = !withShown[el.getAttribute('data-analysis')]; });
    windowLinks.forEach(function (el) { el.hidden = !matches(el); });
    status.textContent = 'Showing ' + shown + ' of ' + items.length + ' releases';
  }
  a.addEventListener('change', apply);
  m.addEventListener('change', apply);
  apply();
})();
`;
