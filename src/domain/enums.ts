// The domain's enums, read from the database enums so there is one list of each.
import {
  assignmentEnum,
  classificationEnum,
  determinationEnum,
  deviceHealthEnum,
  evidenceKindEnum,
  incidentStatusEnum,
  serviceAccessLevelEnum,
  severityEnum,
  sideEnum,
} from '../db/schema';

export const SEVERITIES = severityEnum.enumValues;
export const INCIDENT_STATUSES = incidentStatusEnum.enumValues;
export const ASSIGNMENTS = assignmentEnum.enumValues;
export const CLASSIFICATIONS = classificationEnum.enumValues;
export const DETERMINATIONS = determinationEnum.enumValues;
export const SERVICE_ACCESS_LEVELS = serviceAccessLevelEnum.enumValues;
export const DEVICE_HEALTH = deviceHealthEnum.enumValues;
export const EVIDENCE_KINDS = evidenceKindEnum.enumValues;
export const SIDES = sideEnum.enumValues;

export type Severity = (typeof SEVERITIES)[number];
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export type Assignment = (typeof ASSIGNMENTS)[number];
export type Classification = (typeof CLASSIFICATIONS)[number];
export type Determination = (typeof DETERMINATIONS)[number];
export type ServiceAccessLevel = (typeof SERVICE_ACCESS_LEVELS)[number];

/** SPEC.md section 2: the only valid classification / determination pairs. */
export const VALID_DETERMINATIONS: Record<Classification, readonly Determination[]> = {
  TRUE_POSITIVE: [
    'MULTI_STAGED_ATTACK',
    'MALICIOUS_USER_ACTIVITY',
    'COMPROMISED_ACCOUNT',
    'MALWARE',
    'PHISHING',
    'UNWANTED_SOFTWARE',
    'OTHER',
  ],
  INFORMATIONAL_EXPECTED_ACTIVITY: ['SECURITY_TESTING', 'LINE_OF_BUSINESS_APPLICATION', 'CONFIRMED_ACTIVITY', 'OTHER'],
  FALSE_POSITIVE: ['NOT_MALICIOUS', 'NOT_ENOUGH_DATA_TO_VALIDATE', 'OTHER'],
  UNKNOWN: ['UNKNOWN'],
};

export const isValidClassificationPair = (c: Classification, d: Determination) => VALID_DETERMINATIONS[c].includes(d);
