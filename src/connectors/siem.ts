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
  const status = incident.status === 'ACTIVE' ? 'New' : incident.status === 'RESOLVED' ? 'Closed' : 'Active';
  const labels = [...incident.customTags, ...incident.systemTags];
  if (incident.status === 'AWAITING_CUSTOMER_ACTION') labels.push('Awaiting Customer Action');
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
