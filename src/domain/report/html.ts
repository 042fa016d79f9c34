// The service report as one self-contained HTML page: inline CSS and inline SVG charts (charts.ts),
// no script, no external resource, so it opens offline, from an email attachment, and prints well.
// Every value from data (tenant names, incident titles, the experts' summaries) is escaped.
import { type Severity } from '../enums';
import type { MetricsBucket, Percentiles } from '../metrics';
import { acknowledgeChart, actionsChart, incidentsPerWeekChart, resolveChart, SEVERITY_COLORS } from './charts';
import type { NotableIncident, NotableReason, ServiceReportData } from './data';
import { duration } from './format';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const words = (e: string) => e.charAt(0) + e.slice(1).toLowerCase().replace(/_/g, ' ');

/** "November 2026" */
export const monthName = (from: Date) => from.toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const dateTime = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;


const count = (b: MetricsBucket, list: 'bySeverity' | 'byClassification', key: string) => b[list].find((c) => c.key === key)?.count ?? 0;
const REASONS: Record<NotableReason, string> = { TRUE_POSITIVE: 'True positive', HIGH_SEVERITY: 'High severity', TARGET_MISSED: 'Acknowledge target missed' };

function change(now: number, before: number): string {
  if (now === before) return '<span class="same">same as the month before</span>';
  const up = now > before;
  return `<span class="${up ? 'up' : 'down'}">${up ? '▲' : '▼'} ${Math.abs(now - before)} from ${before}</span>`;
}

function kpi(label: string, value: string, note = ''): string {
  return `<div class="kpi"><div class="kpi-value">${value}</div><div class="kpi-label">${esc(label)}</div>${note ? `<div class="kpi-note">${note}</div>` : ''}</div>`;
}

const pct = (p: Percentiles) => `${duration(p.p50)}<small> p50</small> · ${duration(p.p90)}<small> p90</small>`;

function chart(title: string, svg: string | null, empty: string, note = ''): string {
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption>${svg ?? `<p class="empty">${esc(empty)}</p>`}${note ? `<p class="note">${note}</p>` : ''}</figure>`;
}

function notableHtml(i: NotableIncident): string {
  const verdict = i.classification === 'UNKNOWN' ? 'Not yet classified' : `${words(i.classification)}${i.determination !== 'UNKNOWN' ? ` · ${words(i.determination)}` : ''}`;
  return `<article class="incident">
  <h3><span class="sev" style="background:${SEVERITY_COLORS[i.severity as Severity] ?? '#616161'}">${esc(words(i.severity))}</span> #${i.number} ${esc(i.title)}</h3>
  <p class="meta">${esc(verdict)} · ${esc(words(i.status))} · created ${esc(dateTime(i.createdAt))} · acknowledged in ${duration(i.timeToAcknowledge)}${i.timeToResolve != null ? ` · resolved in ${duration(i.timeToResolve)}` : ''}</p>
  <p class="reasons">${i.reasons.map((r) => `<span class="reason">${esc(REASONS[r])}</span>`).join(' ')}</p>
  ${i.summary ? `<blockquote>${esc(i.summary)}</blockquote>` : '<p class="empty">No summary was written.</p>'}
</article>`;
}

export interface ReportPageOptions {
  providerName: string;
}

/** The whole page. */
export async function renderServiceReportHtml(r: ServiceReportData, opts: ReportPageOptions): Promise<string> {
  const t = r.metrics.totals;
  const p = r.previous;
  const [weekly, ack, res, actions] = await Promise.all([incidentsPerWeekChart(r), acknowledgeChart(r), resolveChart(r), actionsChart(r.actions)]);
  const targets = (Object.entries(r.targets) as [Severity, number][]).map(([s, v]) => `${esc(words(s))} ${duration(v)}`).join(', ');
  const actionTotal = r.actions.reduce((n, a) => n + a.count, 0);
  const byPerformer = (who: string) => r.actions.filter((a) => a.performer === who).reduce((n, a) => n + a.count, 0);
  const title = `${monthName(r.from)} service report · ${r.tenant.name}`;
  const rows = (list: 'bySeverity' | 'byClassification') =>
    t[list]
      .filter((c) => c.count > 0 || count(p, list, c.key) > 0)
      .map((c) => `<tr><th>${esc(words(c.key))}</th><td>${c.count}</td><td>${count(p, list, c.key)}</td></tr>`)
      .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  :root { color-scheme: light; }
  body { font-family: 'Segoe UI', 'Helvetica Neue', Arial, sans-serif; color: #1b1b1b; margin: 0; background: #f5f5f5; }
  main { max-width: 980px; margin: 0 auto; padding: 32px 40px; background: #fff; }
  header { border-bottom: 3px solid #0f6cbd; padding-bottom: 12px; margin-bottom: 20px; }
  header .provider { color: #0f6cbd; font-weight: 600; letter-spacing: .02em; }
  h1 { font-size: 26px; margin: 4px 0; }
  h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid #e1dfdd; padding-bottom: 4px; }
  h3 { font-size: 15px; margin: 0 0 4px; }
  .period, .meta, .note, footer { color: #605e5c; font-size: 13px; }
  .progress { background: #fff4ce; border: 1px solid #fde300; padding: 6px 10px; font-size: 13px; }
  .kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
  .kpi { border: 1px solid #e1dfdd; border-radius: 6px; padding: 10px 12px; }
  .kpi-value { font-size: 22px; font-weight: 600; }
  .kpi-value small { font-size: 11px; color: #605e5c; font-weight: 400; }
  .kpi-label { font-size: 12px; color: #605e5c; }
  .kpi-note { font-size: 11px; margin-top: 4px; }
  .up { color: #a4262c; } .down { color: #107c10; } .same { color: #605e5c; }
  .tables { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #edebe9; }
  td { text-align: right; font-variant-numeric: tabular-nums; }
  thead th { font-weight: 600; color: #605e5c; }
  thead th:not(:first-child) { text-align: right; }
  figure.chart { margin: 16px 0; }
  figure.chart figcaption { font-weight: 600; margin-bottom: 6px; }
  .empty { color: #605e5c; font-style: italic; }
  .incident { border-left: 4px solid #e1dfdd; padding: 6px 12px; margin: 12px 0; }
  .sev { color: #fff; font-size: 11px; padding: 1px 6px; border-radius: 3px; vertical-align: 2px; }
  .reason { display: inline-block; font-size: 11px; background: #edebe9; border-radius: 10px; padding: 1px 8px; }
  blockquote { margin: 6px 0 0; padding: 6px 10px; background: #faf9f8; white-space: pre-wrap; font-size: 13px; }
  footer { margin-top: 32px; border-top: 1px solid #e1dfdd; padding-top: 8px; }
  @page { size: A4; margin: 14mm; }
  @media print {
    body { background: #fff; }
    main { max-width: none; padding: 0; }
    figure.chart, .incident, .kpis, table { break-inside: avoid; }
    h2 { break-after: avoid; }
  }
</style>
</head>
<body>
<main>
<header>
  <div class="provider">${esc(opts.providerName)} · Managed detection and response</div>
  <h1>${esc(title)}</h1>
  <div class="period">${esc(dateTime(r.from))} to ${esc(dateTime(r.to))} (end excluded) · generated ${esc(dateTime(r.generatedAt))}</div>
  ${r.complete ? '' : '<p class="progress">This month is still in progress: the figures cover it up to the time this report was generated.</p>'}
</header>

<section>
<h2>The month at a glance</h2>
<div class="kpis">
  ${kpi('Incidents', String(t.incidents), change(t.incidents, p.incidents))}
  ${kpi('True positives', String(count(t, 'byClassification', 'TRUE_POSITIVE')), change(count(t, 'byClassification', 'TRUE_POSITIVE'), count(p, 'byClassification', 'TRUE_POSITIVE')))}
  ${kpi('Acknowledge target missed', String(t.breaches), change(t.breaches, p.breaches))}
  ${kpi('Response actions completed', String(actionTotal), `${byPerformer('EXPERTS')} by the experts · ${byPerformer('CUSTOMER')} by your team`)}
  ${kpi('Time to acknowledge', pct(t.timeToAcknowledge), `${t.timeToAcknowledge.count} incidents`)}
  ${kpi('Time to resolve', pct(t.timeToResolve), `${t.timeToResolve.count} resolved`)}
  ${kpi('Your response time', pct(t.customerResponseTime), `${t.customerResponseTime.count} incidents awaited you`)}
  ${kpi('High severity', String(count(t, 'bySeverity', 'HIGH')), change(count(t, 'bySeverity', 'HIGH'), count(p, 'bySeverity', 'HIGH')))}
</div>
</section>

<section>
<h2>Incidents</h2>
${chart('Incidents per week, by severity', weekly, 'No incidents were created this month.', 'Weeks run Monday to Sunday (UTC); the first and last are cut at the month\'s edges.')}
<div class="tables">
  <table><thead><tr><th>Severity</th><th>This month</th><th>Month before</th></tr></thead><tbody>${rows('bySeverity') || '<tr><td colspan="3">None</td></tr>'}</tbody></table>
  <table><thead><tr><th>Classification</th><th>This month</th><th>Month before</th></tr></thead><tbody>${rows('byClassification') || '<tr><td colspan="3">None</td></tr>'}</tbody></table>
</div>
</section>

<section>
<h2>Response times</h2>
${chart('Time to acknowledge, against the targets', ack, 'No incident was acknowledged this month.', `Each curve is the share of a severity's incidents acknowledged within a time; the dashed lines are the targets (${targets}).`)}
${chart('Time to resolve', res, 'No incident created this month is resolved yet.', 'The share of a severity\'s incidents resolved within a time (incidents resolved now).')}
</section>

<section>
<h2>Response actions</h2>
${chart('Completed response actions, by kind and by who performed them', actions, 'No response action was completed this month.')}
</section>

<section>
<h2>Notable incidents</h2>
${r.notable.length ? r.notable.map(notableHtml).join('\n') : '<p class="empty">No true positive, high-severity or late-acknowledged incident this month.</p>'}
</section>

<footer>
  Figures are computed from each incident's activity log. An incident counts in the month (and week) it was created, a response action in the one it was completed in; merged incidents count once, in the incident they were merged into. Times are percentiles by nearest rank (p50: half of the incidents took at most this long). All times are UTC.
</footer>
</main>
</body>
</html>
`;
}
