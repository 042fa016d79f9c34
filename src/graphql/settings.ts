// Tenant settings for the tenant's ADMIN: service access level, remediation exclusions, device health.
import type { DeviceRow, TenantRow } from '../db/schema';
import { setDeviceHealth, setRemediationExclusions, setServiceAccessLevel } from '../domain/settings';
import { builder } from './builder';
import { DeviceHealthEnum, localId, payload, ServiceAccessLevelEnum, UserError } from './common';
import { DeviceRef, TenantRef } from './refs';

export const TenantPayload = builder.objectRef<{ tenant?: TenantRow; errors: unknown[] }>('TenantPayload').implement({
  description: 'The tenant after the change, or why nothing changed.',
  fields: (t) => ({
    tenant: t.field({ type: TenantRef, nullable: true, description: 'The tenant as it is now; null when there were errors.', resolve: (p) => p.tenant ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});
const DevicePayload = builder.objectRef<{ device?: DeviceRow; errors: unknown[] }>('DevicePayload').implement({
  description: 'The device after the change, or why nothing changed.',
  fields: (t) => ({
    device: t.field({ type: DeviceRef, nullable: true, description: 'The device as it is now; null when there were errors.', resolve: (p) => p.device ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const SetServiceAccessLevelInput = builder.inputType('SetServiceAccessLevelInput', {
  description: 'What the tenant allows the experts to do.',
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional).' }),
    level: t.field({ type: ServiceAccessLevelEnum, required: true, description: 'READER (recommend only) or OPERATOR (act directly).' }),
  }),
});
const SetRemediationExclusionsInput = builder.inputType('SetRemediationExclusionsInput', {
  description: 'Targets the experts must never act on: their actions there are always left to the customer.',
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional).' }),
    deviceGroups: t.stringList({ description: 'The full list of device groups experts must never act on (left out: unchanged).' }),
    accountIds: t.idList({ description: 'The full list of accounts (break-glass, VIP) experts must never act on (left out: unchanged).' }),
  }),
});
const SetDeviceHealthInput = builder.inputType('SetDeviceHealthInput', {
  description: "A device's health, as the tenant ADMIN knows it.",
  fields: (t) => ({
    deviceId: t.id({ required: true, description: 'A Device of your tenant.' }),
    health: t.field({ type: DeviceHealthEnum, required: true, description: 'ACTIVE or INACTIVE (its actions then wait for it, or time out).' }),
  }),
});

const tenantArg = (id: string | number | null | undefined) => (id ? localId(String(id), 'Tenant', ['tenantId']) : null);

builder.mutationFields((t) => ({
  setServiceAccessLevel: t.field({
    type: TenantPayload,
    description: 'ADMIN: READER (experts recommend) or OPERATOR (experts act on one-click actions).',
    authScopes: { policy: 'setServiceAccessLevel' },
    args: { input: t.arg({ type: SetServiceAccessLevelInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ tenant: await setServiceAccessLevel(ctx, { tenantId: tenantArg(input.tenantId), level: input.level }) })),
  }),
  setRemediationExclusions: t.field({
    type: TenantPayload,
    description: 'ADMIN: device groups on which experts never act.',
    authScopes: { policy: 'setRemediationExclusions' },
    args: { input: t.arg({ type: SetRemediationExclusionsInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        tenant: await setRemediationExclusions(ctx, {
          tenantId: tenantArg(input.tenantId),
          deviceGroups: input.deviceGroups,
          accountIds: input.accountIds?.map((id, i) => localId(String(id), 'Account', ['accountIds', String(i)])),
        }),
      })),
  }),
  setDeviceHealth: t.field({
    type: DevicePayload,
    description: 'ADMIN: mark a device ACTIVE or INACTIVE; back online, its waiting actions run.',
    authScopes: { policy: 'setDeviceHealth' },
    args: { input: t.arg({ type: SetDeviceHealthInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ device: await setDeviceHealth(ctx, { deviceId: localId(String(input.deviceId), 'Device', ['deviceId']), health: input.health }) })),
  }),
}));
