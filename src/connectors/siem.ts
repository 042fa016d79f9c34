// SIEM / ITSM views of an incident (SPEC.md section 6): pure mappings, no I/O.
import type { IncidentRow } from '../db/schema';

export interface SentinelIncident {
  status: 'New' | 'Active' | 'Closed';
  owner: string | null;
  classification: string;
  classificationReason: string | null;
  labels: string[];
}

export function sentinelView(incident: IncidentRow, providerName: string): SentinelIncident {
  // a merged (REDIRECTED) incident lives on in its target: closed here, labelled Merged
  const status = incident.status === 'ACTIVE' ? 'New' : incident.status === 'RESOLVED' || incident.status === 'REDIRECTED' ? 'Closed' : 'Active';
  const labels = [...incident.customTags, ...incident.systemTags];
  if (incident.status === 'AWAITING_CUSTOMER_ACTION') labels.push('Awaiting Customer Action');
  if (incident.status === 'REDIRECTED') labels.push('Merged');
  const owner = incident.assignment === 'EXPERTS' ? providerName : incident.assignment === 'CUSTOMER' ? 'Customer' : null;
  const [classification, classificationReason] = (
    {
      TRUE_POSITIVE: ['TruePositive', 'SuspiciousActivity'],
      FALSE_POSITIVE: ['FalsePositive', 'InaccurateData'],
      INFORMATIONAL_EXPECTED_ACTIVITY: ['BenignPositive', 'SuspiciousButExpected'],
      UNKNOWN: ['Undetermined', null],
    } as const
  )[incident.classification];
  return { status, owner, classification, classificationReason, labels: [...new Set(labels)] };
}

export interface ServiceNowFields {
  short_description: string;
  description: string;
  impact: string;
  urgency: string;
  state: string;
  hold_reason: string;
  close_code: string;
  close_notes: string;
  correlation_id: string;
  correlation_display: string;
}

/** Default ServiceNow values; a connector's mapping overrides any of them per our value. */
export const SERVICENOW_DEFAULTS = {
  impact: { HIGH: '1', MEDIUM: '2', LOW: '3', INFORMATIONAL: '3' },
  urgency: { HIGH: '1', MEDIUM: '2', LOW: '3', INFORMATIONAL: '3' },
  // 7 = Closed: a merged incident's ticket closes (the target's ticket carries on)
  state: { ACTIVE: '1', IN_PROGRESS: '2', AWAITING_CUSTOMER_ACTION: '3', RESOLVED: '6', REDIRECTED: '7' },
  closeCode: {
    TRUE_POSITIVE: 'Solved (Permanently)',
    FALSE_POSITIVE: 'Not Solved (Not Reproducible)',
    INFORMATIONAL_EXPECTED_ACTIVITY: 'Closed/Resolved by Caller',
    UNKNOWN: 'Solved (Work Around)',
    REDIRECTED: 'Closed/Resolved by Caller',
  },
} as const;
export type ServiceNowMapping = { [K in keyof typeof SERVICENOW_DEFAULTS]?: Partial<Record<string, string>> };

/** The ServiceNow incident of one of ours (SPEC.md section 6): state, impact, closure, correlation. */
export function serviceNowView(incident: IncidentRow, correlationId: string, mapping: ServiceNowMapping = {}): ServiceNowFields {
  const pick = <K extends keyof typeof SERVICENOW_DEFAULTS>(k: K, v: string) =>
    mapping[k]?.[v] ?? (SERVICENOW_DEFAULTS[k] as Record<string, string>)[v];
  const fields: ServiceNowFields = {
    short_description: `[MDR #${incident.number}] ${incident.title}`.slice(0, 160),
    description: [
      incident.title,
      `Severity: ${incident.severity}`,
      `Classification: ${incident.classification} / ${incident.determination}`,
      incident.externalId ? `Source incident: ${incident.externalId}` : null,
    ]
      .filter(Boolean)
      .join('\n'),
    impact: pick('impact', incident.severity),
    urgency: pick('urgency', incident.severity),
    state: pick('state', incident.status),
    correlation_id: correlationId,
    correlation_display: 'MDR incident service',
    // cleared when they no longer apply (after a reopen, or once the customer acted)
    hold_reason: incident.status === 'AWAITING_CUSTOMER_ACTION' ? '1' : '', // 1 = Awaiting Caller
    close_code:
      incident.status === 'RESOLVED' ? pick('closeCode', incident.classification) : incident.status === 'REDIRECTED' ? pick('closeCode', 'REDIRECTED') : '',
    close_notes:
      incident.status === 'RESOLVED'
        ? (incident.resolvingComment ?? `Resolved: ${incident.classification} (${incident.determination})`)
        : incident.status === 'REDIRECTED'
          ? 'Duplicate: merged into another MDR incident, which carries on in its own ticket'
          : '',
  };
  return fields;
}
