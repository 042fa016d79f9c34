// GET /reports/service?…: the service report page behind a signed link (links.ts). No token: the
// link is the credential, so it is short-lived, names its principal (checked again now), is never
// cached, and the page may not send it anywhere (no referrer, a CSP that allows no request at all).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Database } from '../../db/client';
import type { Logger } from '../../log';
import { buildServiceReport, parseMonth } from './data';
import { renderServiceReportHtml } from './html';
import { principalMayRead, type ReportLinks } from './links';

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // inline styles and inline SVG only: nothing is fetched, no script runs
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cache-control': 'private, no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const problem = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:Segoe UI,Arial,sans-serif;max-width:40em;margin:3em auto"><h1>${title}</h1><p>${text}</p></body></html>`;

export function reportPageHandler(deps: { database: Database; links: ReportLinks; providerName: string; log: Logger }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, html: string) => {
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? gzipSync(html) : Buffer.from(html);
      res.writeHead(status, { ...HEADERS, 'content-length': body.length, vary: 'accept-encoding', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      const checked = deps.links.verify(query);
      if (!checked.ok) {
        if (checked.reason === 'EXPIRED') return send(410, problem('This link has expired', 'Links to a service report work for a short time only. Ask for the report again (serviceReport) to get a fresh link.'));
        return send(403, problem('This link is not valid', 'The link is incomplete or was altered. Ask for the report again (serviceReport) to get a fresh link.'));
      }
      const { claims } = checked;
      if (!(await principalMayRead(deps.database.db, claims.principalId, claims.tenantId))) {
        return send(403, problem('No access', 'Whoever asked for this link can no longer read this tenant, so the link no longer works.'));
      }
      const now = new Date();
      const report = await buildServiceReport(deps.database, claims.tenantId, parseMonth(claims.month, now), now);
      send(200, await renderServiceReportHtml(report, { providerName: deps.providerName }));
    } catch (err) {
      deps.log.error({ err }, 'service report page failed');
      if (!res.headersSent) send(500, problem('The report could not be produced', 'Try again in a moment.'));
      else res.destroy();
    }
  };
}
