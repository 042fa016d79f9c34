// Remediation exclusions: the device groups experts never act on, compared one way everywhere
// (publish, perform, the executor's last check, ingestion's inventory rule).

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
