// Who may act on an action card now, and if not, why: the API's greyed-out button
// (`viewerCanPerform` / `viewerCannotPerformReason`) and the check every command makes first.
import type { ActionCardRow, TenantRow } from '../../db/schema';
import { allows, canReadTenant } from '../access';
import { exclusionOf, type ExclusionFacts } from '../exclusions';
import type { Viewer } from '../viewer';
import { isOneClick, type ActionKind } from '../../registry/action-kinds';

export interface PerformCheck {
  allowed: boolean;
  code?: 'FORBIDDEN' | 'NOT_PERMITTED_FOR_ACCESS_LEVEL' | 'TARGET_EXCLUDED' | 'INVALID_TRANSITION';
  reason?: string;
}

export type CardAction = 'perform' | 'complete' | 'skip';

const ACTION_OPERATION = { perform: 'performAction', complete: 'completeManualAction', skip: 'skipAction' } as const;

export type TenantRules = Pick<TenantRow, 'serviceAccessLevel' | 'remediationExclusions' | 'excludedAccountIds'>;

/**
 * May this viewer perform (or retry), confirm or skip this card now, and if not, why. `target`
 * carries what exclusions look at (the device's group, the account), null for MANUAL cards.
 */
export function performCheck(
  viewer: Viewer | null,
  card: Pick<ActionCardRow, 'tenantId' | 'kind' | 'status' | 'incidentId'>,
  tenant: TenantRules,
  target: ExclusionFacts | null,
  action: CardAction = isOneClick(card.kind as ActionKind) ? 'perform' : 'complete',
): PerformCheck {
  if (!viewer || !canReadTenant(viewer, card.tenantId)) return { allowed: false, code: 'FORBIDDEN', reason: 'Not your tenant' };
  const kind = card.kind as ActionKind;
  // the role, from the access policy; then the domain's rules for experts
  if (!allows(viewer, ACTION_OPERATION[action])) {
    const reason =
      viewer.role === 'READER'
        ? 'Readers cannot act on response actions; ask an operator'
        : viewer.role === 'EXPERT'
          ? "Manual actions and skipping are the customer's decision"
          : 'Integrations cannot act on response actions';
    return { allowed: false, code: 'FORBIDDEN', reason };
  }
  if (viewer.role === 'EXPERT') {
    // an action the customer took from an entity's page is theirs to retry or dismiss
    if (!card.incidentId) return { allowed: false, code: 'FORBIDDEN', reason: "An action taken from an entity's page is the customer's own" };
    if (!isOneClick(kind)) {
      return { allowed: false, code: 'FORBIDDEN', reason: "Manual actions and skipping are the customer's decision" };
    }
    if (tenant.serviceAccessLevel !== 'OPERATOR') {
      return { allowed: false, code: 'NOT_PERMITTED_FOR_ACCESS_LEVEL', reason: 'The customer granted the READER access level: experts recommend, the customer acts' };
    }
    const excluded = target ? exclusionOf(tenant, target) : null;
    if (excluded) return { allowed: false, code: 'TARGET_EXCLUDED', reason: excluded };
  }
  if (action === 'perform') {
    if (!isOneClick(kind)) return { allowed: false, code: 'INVALID_TRANSITION', reason: 'A manual action is confirmed, not performed' };
    if (card.status === 'IN_PROGRESS') return { allowed: false, code: 'INVALID_TRANSITION', reason: 'The action is already in progress' };
    if (card.status !== 'PENDING' && card.status !== 'FAILED') {
      return { allowed: false, code: 'INVALID_TRANSITION', reason: `The action is ${card.status}` };
    }
  } else if (action === 'complete') {
    if (isOneClick(kind)) return { allowed: false, code: 'INVALID_TRANSITION', reason: 'One-click actions complete when the EDR reports' };
    if (card.status !== 'PENDING') return { allowed: false, code: 'INVALID_TRANSITION', reason: `The action is ${card.status}` };
  } else if (card.status !== 'PENDING' && card.status !== 'FAILED') {
    return { allowed: false, code: 'INVALID_TRANSITION', reason: `Only a pending or failed action can be skipped; this one is ${card.status}` };
  }
  return { allowed: true };
}
