// The service report's charts: Vega-Lite specifications compiled to Vega and rendered to SVG on the
// server by Vega's own SVG renderer (no browser, no canvas, no CDN). Each function returns an
// <svg> string, or null when there is nothing to draw (the page says so in words instead).
import type { TopLevelSpec } from 'vega-lite';
import { ACTION_KIND_REGISTRY } from '../../registry/action-kinds';
import { SEVERITIES, type Severity } from '../enums';
import { QUANTILES, type ActionCount, type Distribution, type ServiceReportData } from './data';

export const SEVERITY_COLORS: Record<Severity, string> = { HIGH: '#c50f1f', MEDIUM: '#da3b01', LOW: '#986f0b', INFORMATIONAL: '#616161' };
const PERFORMER_COLORS: Record<string, string> = { EXPERTS: '#0f6cbd', CUSTOMER: '#8764b8', UNKNOWN: '#a19f9d' };
const PERFORMER_LABELS: Record<string, string> = { EXPERTS: 'Experts', CUSTOMER: 'Your team', UNKNOWN: 'Unrecorded' };
const FONT = 'Segoe UI, Helvetica Neue, Arial, sans-serif';
const words = (e: string) => e.charAt(0) + e.slice(1).toLowerCase().replace(/_/g, ' ');
const day = (d: Date) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

const CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 600, gridColor: '#e1dfdd', domainColor: '#8a8886', tickColor: '#8a8886' },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 600, orient: 'bottom', direction: 'horizontal' },
} as const;

// vega and vega-lite load when the first chart is drawn (a monthly report), not at every start of
// the service (about 0.2 s of its start-up)
let charting: Promise<[typeof import('vega'), typeof import('vega-lite')]> | null = null;

async function render(spec: TopLevelSpec): Promise<string> {
  charting ??= Promise.all([import('vega'), import('vega-lite')]).catch((err: unknown) => {
    charting = null; // the next chart tries again
    throw err;
  });
  const [vega, { compile }] = await charting;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // scale with the page (and on paper): the viewBox keeps the proportions
    return svg.replace(/^<svg([^>]*?) width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/, (_m, attrs: string, w: string, h: string) => `<svg${attrs} width="${w}" height="${h}" style="max-width:100%;height:auto" role="img"`);
  } finally {
    view.finalize();
  }
}

const severityScale = (present: readonly Severity[]) => ({
  domain: SEVERITIES.filter((s) => present.includes(s)).map(words),
  range: SEVERITIES.filter((s) => present.includes(s)).map((s) => SEVERITY_COLORS[s]),
});

/** Incidents created per week (Monday to Sunday, clipped to the month), stacked by severity. */
export async function incidentsPerWeekChart(r: ServiceReportData): Promise<string | null> {
  if (r.metrics.totals.incidents === 0) return null;
  const weeks = r.metrics.buckets.map((b) => `${day(b.start)} – ${day(new Date(b.end.getTime() - 1))}`);
  const values = r.metrics.buckets.flatMap((b, i) => b.bySeverity.filter((c) => c.count > 0).map((c) => ({ week: weeks[i], severity: words(c.key), count: c.count })));
  const present = SEVERITIES.filter((s) => r.metrics.totals.bySeverity.some((c) => c.key === s && c.count > 0));
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 560,
    height: 220,
    data: { values },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      x: { field: 'week', type: 'ordinal', sort: weeks, scale: { domain: weeks }, title: 'Week', axis: { labelAngle: 0 } },
      y: { field: 'count', type: 'quantitative', aggregate: 'sum', title: 'Incidents', axis: { tickMinStep: 1, format: 'd' } },
      color: { field: 'severity', type: 'nominal', title: 'Severity', scale: severityScale(present), sort: present.map(words) },
      order: { field: 'severity', sort: 'ascending' },
    },
  });
}

/**
 * A time's distribution per severity as cumulative curves (the share of incidents done within a
 * time), on a log axis; with `targets`, each severity's target as a dashed line in its colour.
 */
/** Readable ticks for a log time axis, in seconds, with their labels. */
const TICKS: [number, string][] = [
  [1, '1 s'], [10, '10 s'], [60, '1 min'], [300, '5 min'], [900, '15 min'], [1800, '30 min'], [3600, '1 h'], [7200, '2 h'],
  [14_400, '4 h'], [28_800, '8 h'], [86_400, '1 d'], [172_800, '2 d'], [345_600, '4 d'], [604_800, '1 wk'], [1_209_600, '2 wk'], [2_592_000, '30 d'],
];

async function distributionChart(dists: readonly Distribution[], unit: { name: string; seconds: number }, targets?: Record<Severity, number>): Promise<string | null> {
  if (dists.length === 0) return null;
  const present = dists.map((d) => d.severity);
  // the axis spans the data and the targets, from the tick below the fastest to the one above the slowest
  const times = [...dists.flatMap((d) => d.quantiles), ...(targets ? present.map((s) => targets[s]) : [])].map((s) => Math.max(s, 1));
  const lo = [...TICKS].reverse().find(([t]) => t <= Math.min(...times))?.[0] ?? 1;
  const hi = TICKS.find(([t]) => t >= Math.max(...times))?.[0] ?? Math.max(...times);
  const ticks = TICKS.filter(([t]) => t >= lo && t <= hi);
  const labels = `{${ticks.map(([t, l]) => `'${t / unit.seconds}': '${l}'`).join(', ')}}[datum.value + ''] || ''`;
  const values = dists.flatMap((d) => d.quantiles.map((s, i) => ({ severity: words(d.severity), t: Math.max(s, 1) / unit.seconds, share: QUANTILES[i] })));
  const layers: object[] = [
    {
      data: { values },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      encoding: {
        x: {
          field: 't',
          type: 'quantitative',
          scale: { type: 'log', domain: [lo / unit.seconds, hi / unit.seconds], nice: false },
          title: 'Time (log scale)',
          axis: { values: ticks.map(([t]) => t / unit.seconds), labelExpr: labels, grid: true },
        },
        y: { field: 'share', type: 'quantitative', title: 'Share of incidents', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
        color: { field: 'severity', type: 'nominal', title: 'Severity', scale: severityScale(present), sort: present.map(words) },
      },
    },
  ];
  if (targets) {
    layers.push({
      data: { values: present.map((s) => ({ severity: words(s), t: targets[s] / unit.seconds })) },
      mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: {
        x: { field: 't', type: 'quantitative' },
        color: { field: 'severity', type: 'nominal', title: 'Severity', scale: severityScale(present), sort: present.map(words) },
      },
    });
  }
  return render({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, width: 560, height: 220, layer: layers } as TopLevelSpec);
}

export const acknowledgeChart = (r: ServiceReportData) => distributionChart(r.acknowledge, { name: 'minutes', seconds: 60 }, r.targets);
export const resolveChart = (r: ServiceReportData) => distributionChart(r.resolve, { name: 'hours', seconds: 3600 });

const kindTitle = (kind: string) => (ACTION_KIND_REGISTRY as Record<string, { title: string } | undefined>)[kind]?.title ?? words(kind);

/** Response actions completed in the month, by kind, stacked by who performed them. */
export async function actionsChart(actions: readonly ActionCount[]): Promise<string | null> {
  if (actions.length === 0) return null;
  const values = actions.map((a) => ({ kind: kindTitle(a.kind), performer: PERFORMER_LABELS[a.performer] ?? a.performer, count: a.count }));
  const totals = new Map<string, number>();
  for (const v of values) totals.set(v.kind, (totals.get(v.kind) ?? 0) + v.count);
  const kinds = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  const performers = Object.keys(PERFORMER_LABELS).filter((p) => actions.some((a) => a.performer === p));
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 460,
    height: { step: 22 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'kind', type: 'nominal', sort: kinds, title: null, axis: { labelLimit: 260 } },
      x: { field: 'count', type: 'quantitative', aggregate: 'sum', title: 'Completed actions', axis: { tickMinStep: 1, format: 'd' } },
      color: {
        field: 'performer',
        type: 'nominal',
        title: 'Performed by',
        scale: { domain: performers.map((p) => PERFORMER_LABELS[p]), range: performers.map((p) => PERFORMER_COLORS[p]) },
      },
    },
  } as TopLevelSpec);
}
