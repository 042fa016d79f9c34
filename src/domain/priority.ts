// Priority score 0-100 (SPEC.md section 3): severity, alert count, high-value assets and age.
import type { Severity } from './enums';

const SEVERITY_POINTS: Record<Severity, number> = { INFORMATIONAL: 5, LOW: 20, MEDIUM: 40, HIGH: 60 };
/** Device groups whose names mark high-value assets (domain controllers, servers, executives). */
const HIGH_VALUE = /(server|domain controller|\bdc\b|critical|executive|vip|tier ?0)/i;

export interface PriorityInput {
  severity: Severity;
  alertCount: number;
  deviceGroups: readonly (string | null | undefined)[];
  firstActivityAt: Date | null;
  now?: Date;
}

export function priorityScore(p: PriorityInput): number {
  const now = p.now ?? new Date();
  let score = SEVERITY_POINTS[p.severity];
  score += Math.min(15, Math.max(0, p.alertCount - 1) * 3);
  if (p.deviceGroups.some((g) => g && HIGH_VALUE.test(g))) score += 15;
  if (p.firstActivityAt) {
    // Older unresolved activity has had more time to spread: up to 10 points over three days.
    const hours = (now.getTime() - p.firstActivityAt.getTime()) / 3_600_000;
    score += Math.min(10, Math.max(0, Math.floor(hours / 7.2)));
  }
  return Math.max(0, Math.min(100, score));
}
