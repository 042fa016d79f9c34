// Every notification's words, in one place: the subject, the plain-text and HTML parts of the
// email, and the Adaptive Card for Teams, per kind. Titles, summaries and action names come from
// ingested data or from people: in HTML every value is escaped, and on the card every such value
// is a TextRun (plain text, never markdown), so a title like "<img src=x onerror=…>" arrives as text.
import type { AdaptiveCard } from '../../connectors/teams';
import type { notificationKindEnum } from '../../db/schema';
import { duration } from '../report/format';

export type NotificationKind = (typeof notificationKindEnum.enumValues)[number];

/** What a notification says, captured in the transaction of the change that caused it. */
export interface NoticePayload {
  tenant: { name: string };
  incident?: {
    id: string;
    number: number;
    title: string;
    severity: string;
    status: string;
    classification: string;
    determination: string;
  };
  /** Actions awaiting the customer (and, when published, those the experts are performing). */
  actions?: { title: string; kind: string; status: string; byExperts: boolean; reason: string | null }[];
  /** The experts' words: the investigation narrative, or the resolving comment. */
  summary?: string | null;
  /** The action that failed. */
  action?: { title: string; kind: string; failureReason: string | null };
  reminder?: { round: number; awaitingSince: string };
  /** TEST: who asked for it. */
  requestedBy?: string;
  /** SERVICE_REPORT: the month's headline figures (the full report is attached when sent). */
  report?: {
    tenantId: string;
    month: string;
    monthName: string;
    incidents: number;
    truePositives: number;
    breaches: number;
    acknowledgeP50: number | null;
    resolveP50: number | null;
    actionsCompleted: number;
  };
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
  card: AdaptiveCard;
}

export interface RenderOptions {
  providerName: string;
  /** The incident's page, or null when there is no incident. */
  link: string | null;
  /** The service's base URL (for TEST). */
  serviceUrl: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** Subjects are one line; a title with line breaks must not add headers. */
const oneLine = (s: string, max = 120) => {
  const t = s.replace(/[\r\n\t]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};
const words = (e: string) => e.charAt(0) + e.slice(1).toLowerCase().replace(/_/g, ' ');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface Section {
  heading: string;
  /** Plain text (escaped for HTML, a TextRun on the card). */
  body?: string | null;
  list?: string[];
}

interface Draft {
  subject: string;
  /** What is asked of the customer, in one sentence. */
  ask: string;
  facts: [string, string][];
  sections: Section[];
  linkLabel: string;
}

function pendingLines(actions: NonNullable<NoticePayload['actions']>): string[] {
  return actions.map((a) => {
    const state = a.byExperts ? 'being performed by the experts' : a.status === 'FAILED' ? 'failed, awaiting you' : 'awaiting you';
    return `${a.title} (${words(a.kind)}: ${state})${a.reason && !a.byExperts ? `: ${a.reason}` : ''}`;
  });
}

function draft(kind: NotificationKind, p: NoticePayload, opts: RenderOptions): Draft {
  const i = p.incident;
  const head = i ? `Incident #${i.number} · ${words(i.severity)} severity` : p.tenant.name;
  const facts: [string, string][] = i
    ? [
        ['Incident', `#${i.number}: ${i.title}`],
        ['Severity', words(i.severity)],
        ['Status', words(i.status)],
        ['Tenant', p.tenant.name],
      ]
    : [['Tenant', p.tenant.name]];
  const forYou = (p.actions ?? []).filter((a) => !a.byExperts);
  switch (kind) {
    case 'MANAGED_RESPONSE_PUBLISHED': {
      const ask = forYou.length
        ? `Review the managed response and perform ${plural(forYou.length, 'pending response action')}.`
        : 'Review the managed response; the experts are performing the response actions.';
      return {
        subject: `${head} · ${forYou.length ? `Action required: ${plural(forYou.length, 'response action')} ${forYou.length === 1 ? 'awaits' : 'await'} you` : 'Managed response published'}: ${oneLine(i?.title ?? '', 80)}`,
        ask,
        facts,
        sections: [
          { heading: 'Response actions', list: pendingLines(p.actions ?? []) },
          { heading: 'What the experts found', body: p.summary ?? null },
        ],
        linkLabel: 'Open the incident',
      };
    }
    case 'INCIDENT_RESOLVED_BY_EXPERTS': {
      const verdict = i ? `${words(i.classification)}${i.determination !== 'UNKNOWN' ? ` (${words(i.determination)})` : ''}` : '';
      return {
        subject: `${head} · Resolved by ${opts.providerName}: ${verdict} · no action required`,
        ask: 'No action is required; read the experts\' summary.',
        facts: [...facts, ['Classification', verdict]],
        sections: [{ heading: 'Summary', body: p.summary ?? null }],
        linkLabel: 'Open the incident',
      };
    }
    case 'AWAITING_ACTION_REMINDER':
      return {
        subject: `Reminder: ${head} · ${forYou.length ? `${plural(forYou.length, 'response action')} still ${forYou.length === 1 ? 'awaits' : 'await'} you` : 'awaits your action'}: ${oneLine(i?.title ?? '', 80)}`,
        ask: `Perform or skip the pending response actions; the incident has awaited you since ${p.reminder?.awaitingSince ?? 'publication'}.`,
        facts,
        sections: [{ heading: 'Pending response actions', list: pendingLines(forYou) }],
        linkLabel: 'Open the incident',
      };
    case 'ACTION_FAILED':
      return {
        subject: `${head} · Action failed: ${oneLine(p.action?.title ?? 'a response action', 80)} · retry or act another way`,
        ask: 'Retry the action, or carry it out another way and skip it.',
        facts: [...facts, ['Action', p.action?.title ?? '']],
        sections: [{ heading: 'Why it failed', body: p.action?.failureReason ?? 'No reason was given.' }],
        linkLabel: 'Open the incident',
      };
    case 'TEST':
      return {
        subject: `Test notification from the MDR incident service (${oneLine(p.tenant.name, 60)})`,
        ask: 'Nothing: this message checks that notifications reach you.',
        facts: [...facts, ['Requested by', p.requestedBy ?? 'an administrator']],
        sections: [{ heading: 'Why you received this', body: `An administrator of ${p.tenant.name} sent a test notification from ${opts.serviceUrl}.` }],
        linkLabel: 'Open the service',
      };
    case 'SERVICE_REPORT': {
      const r = p.report;
      return {
        subject: `${oneLine(p.tenant.name, 60)} · ${r?.monthName ?? 'Monthly'} service report from ${opts.providerName}: ${plural(r?.incidents ?? 0, 'incident')}, ${plural(r?.truePositives ?? 0, 'true positive')}`,
        ask: 'Nothing is required: read the attached report (open it in a browser; it prints well) ahead of your service review.',
        facts: [
          ['Tenant', p.tenant.name],
          ['Month', `${r?.monthName ?? ''} (UTC)`],
          ['Incidents', String(r?.incidents ?? 0)],
          ['True positives', String(r?.truePositives ?? 0)],
          ['Acknowledge target missed', String(r?.breaches ?? 0)],
          ['Median time to acknowledge', duration(r?.acknowledgeP50)],
          ['Median time to resolve', duration(r?.resolveP50)],
          ['Response actions completed', String(r?.actionsCompleted ?? 0)],
        ],
        sections: [
          {
            heading: 'The full report',
            body:
              `The attached page (${r ? `service-report-${r.month}.html` : 'the report'}) has the charts, the comparison with the month before and the notable incidents with the experts' summaries. ` +
              `A fresh link to it is one API call away: serviceReport(month: "${r?.month ?? 'YYYY-MM'}") { htmlUrl }.`,
          },
        ],
        linkLabel: 'Open the service',
      };
    }
    case 'WEBHOOK_ENDPOINT_DISABLED':
      return {
        subject: `${oneLine(p.tenant.name, 60)} · A webhook endpoint was disabled: deliveries kept failing`,
        ask: 'Check the receiver, then enable the endpoint again (updateWebhookEndpoint active: true) and redeliver what it missed.',
        facts,
        sections: [{ heading: 'What happened', body: p.summary ?? null }],
        linkLabel: 'Open the service',
      };
    default:
      return { subject: `${head} · ${words(kind)}`, ask: '', facts, sections: [{ heading: words(kind), body: p.summary ?? null }], linkLabel: 'Open' };
  }
}

export function renderNotification(kind: NotificationKind, payload: NoticePayload, opts: RenderOptions): Rendered {
  const d = draft(kind, payload, opts);
  const link = opts.link ?? opts.serviceUrl;

  const text = [
    d.ask,
    '',
    ...d.facts.map(([k, v]) => `${k}: ${v}`),
    ...d.sections.flatMap((s) => (s.body || s.list?.length ? ['', `${s.heading}:`, ...(s.body ? [s.body] : []), ...(s.list ?? []).map((l) => `  - ${l}`)] : [])),
    '',
    `${d.linkLabel}: ${link}`,
    '',
    `-- ${opts.providerName} via the MDR incident service`,
  ].join('\n');

  const html = `<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif;color:#1b1b1b">
<p style="font-size:16px"><strong>${esc(d.ask)}</strong></p>
<table cellpadding="4" style="border-collapse:collapse">${d.facts.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
${d.sections
  .filter((s) => s.body || s.list?.length)
  .map((s) => `<h3>${esc(s.heading)}</h3>${s.body ? `<p style="white-space:pre-wrap">${esc(s.body)}</p>` : ''}${s.list?.length ? `<ul>${s.list.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}`)
  .join('\n')}
<p><a href="${esc(link)}" style="background:#0f6cbd;color:#fff;padding:8px 14px;text-decoration:none;border-radius:4px">${esc(d.linkLabel)}</a></p>
<p style="color:#666;font-size:12px">${esc(opts.providerName)} via the MDR incident service</p>
</body></html>`;

  // TextRun: plain text, never markdown, so user data cannot add links or formatting to the card
  const plain = (s: string, extra: Record<string, unknown> = {}) => ({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: s, ...extra }] });
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      plain(d.subject, { weight: 'Bolder', size: 'Medium' }),
      plain(d.ask),
      ...d.facts.map(([title, value]) => ({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: `${title}: `, weight: 'Bolder' }, { type: 'TextRun', text: value }] })),
      ...d.sections
        .filter((s) => s.body || s.list?.length)
        .flatMap((s) => [plain(s.heading, { weight: 'Bolder' }), ...(s.body ? [plain(s.body)] : []), ...(s.list ?? []).map((l) => plain(`• ${l}`))]),
    ],
    actions: [{ type: 'Action.OpenUrl', title: d.linkLabel, url: link }],
  };
  return { subject: oneLine(d.subject, 200), text, html, card };
}
