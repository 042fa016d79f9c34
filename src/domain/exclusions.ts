// Remediation exclusions: the device groups and accounts experts never act on, compared one way
// everywhere (publish, perform, the permission hints, the executor's last check, ingestion's
// inventory rule).

/**
 * The one way device groups compare (exclusions, ingestion's inventory check): case and
 * surrounding whitespace do not count, so "domain controllers " names "Domain Controllers".
 */
export function normaliseDeviceGroup(group: string): string {
  return group.normalize('NFC').trim().toLowerCase();
}

export function sameDeviceGroup(a: string, b: string): boolean {
  return normaliseDeviceGroup(a) === normaliseDeviceGroup(b);
}

/** The device's group when the tenant excludes it from expert remediation, else null. */
export function excludedGroup(exclusions: readonly string[], group: string | null | undefined): string | null {
  const key = group ? normaliseDeviceGroup(group) : '';
  if (!key) return null;
  return exclusions.some((e) => normaliseDeviceGroup(e) === key) ? group!.trim() : null;
}

/**
 * What exclusions look at on an action's target: the device's group (devices and files), the
 * account (accounts, and the mailbox owner of an email message), with a label for the reason.
 */
export interface ExclusionFacts {
  deviceGroup?: string | null;
  accountId?: string | null;
  accountLabel?: string | null;
}

/** Why the experts may not act on this target, or null when they may. */
export function exclusionOf(
  tenant: { remediationExclusions: readonly string[]; excludedAccountIds: readonly string[] },
  facts: ExclusionFacts,
): string | null {
  const group = excludedGroup(tenant.remediationExclusions, facts.deviceGroup);
  if (group) return `Device group "${group}" is excluded from expert remediation`;
  if (facts.accountId && tenant.excludedAccountIds.includes(facts.accountId)) {
    return `Account "${facts.accountLabel ?? facts.accountId}" is excluded from expert remediation`;
  }
  return null;
}
