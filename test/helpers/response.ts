// Helpers for managed-response tests: walk an incident to a given point through the real API.
import { expect } from 'vitest';
import type { TestApp } from './app';
import { incidentInput, type TenantFixture } from './factory';

export const INCIDENT_FIELDS = `id number status assignment classification determination systemTags resolvingComment version
  managedResponse { publishedAt investigationSummary { narrative indicatorsOfAttack { techniqueId } }
    actions { id kind title status section performedBy failureReason skipReason leftToCustomerReason viewerCanPerform viewerCannotPerformReason
      target { __typename ... on Device { id name isolated appExecutionRestricted } ... on DeviceFile { id fileName quarantined } }
      attempts { number side state failureReason connector } } }`;

export async function ingest(app: TestApp, t: TenantFixture, over: Parameters<typeof incidentInput>[0] = {}) {
  const r = await app.gql<any, any>(
    `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id devices { id name deviceGroup files { id fileName } } } errors { code message } } }`,
    { input: incidentInput(over) },
    t.tokens.INTEGRATION,
  );
  expect(r.data?.ingestIncident.errors).toEqual([]);
  return r.data.ingestIncident.incident as { id: string; devices: { id: string; name: string; deviceGroup: string; files: { id: string; fileName: string }[] }[] };
}

export async function mutate(app: TestApp, token: string, name: string, input: Record<string, unknown>, fields = `incident { ${INCIDENT_FIELDS} }`) {
  const inputType: Record<string, string> = {
    createNotificationContact: 'CreateNotificationContactInput',
    updateNotificationContact: 'UpdateNotificationContactInput',
    deleteNotificationContact: 'DeleteNotificationContactInput',
    setTeamsWebhook: 'SetTeamsWebhookInput',
    sendTestNotification: 'SendTestNotificationInput',
    createWebhookEndpoint: 'CreateWebhookEndpointInput',
    updateWebhookEndpoint: 'UpdateWebhookEndpointInput',
    rotateWebhookSecret: 'EndpointRefInput',
    deleteWebhookEndpoint: 'EndpointRefInput',
    redeliverWebhook: 'RedeliverWebhookInput',
    configureSyncConnector: 'ConfigureSyncConnectorInput',
    createSavedView: 'CreateSavedViewInput',
    updateSavedView: 'UpdateSavedViewInput',
    deleteSavedView: 'DeleteSavedViewInput',
    startInvestigation: 'IncidentRefInput',
    reopenIncident: 'IncidentRefInput',
    classifyIncident: 'ClassifyIncidentInput',
    publishManagedResponse: 'PublishManagedResponseInput',
    amendManagedResponse: 'AmendManagedResponseInput',
    postInvestigationUpdate: 'PostInvestigationUpdateInput',
    performAction: 'ActionRefInput',
    completeManualAction: 'ActionRefInput',
    skipAction: 'SkipActionInput',
    sendChatMessage: 'SendChatMessageInput',
    setServiceAccessLevel: 'SetServiceAccessLevelInput',
    setRemediationExclusions: 'SetRemediationExclusionsInput',
    setDeviceHealth: 'SetDeviceHealthInput',
    updateIncident: 'UpdateIncidentInput',
    addComment: 'AddCommentInput',
    createSuppressionRule: 'SuppressionRuleInput',
    updateSuppressionRule: 'UpdateSuppressionRuleInput',
    deleteSuppressionRule: 'SuppressionRuleRefInput',
    undoSuppression: 'IncidentRefInput',
    bulkClassifyIncidents: 'BulkClassifyIncidentsInput',
    bulkUpdateIncidents: 'BulkUpdateIncidentsInput',
    mergeIncidents: 'MergeIncidentsInput',
    createPrincipal: 'CreatePrincipalInput',
    updatePrincipal: 'UpdatePrincipalInput',
    createApiToken: 'CreateApiTokenInput',
    revokeApiToken: 'ApiTokenRefInput',
  };
  return app.gql<any, any>(`mutation($input: ${inputType[name]}!) { ${name}(input: $input) { ${fields} errors { code message field } } }`, { input }, token);
}

export async function incident(app: TestApp, token: string, id: string) {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { ${INCIDENT_FIELDS} } } }`, { id }, token);
  return r.data?.node;
}

/** ACTIVE → IN_PROGRESS → classified TRUE_POSITIVE, ready for a managed response. */
export async function truePositive(app: TestApp, t: TenantFixture, over: Parameters<typeof incidentInput>[0] = {}) {
  const inc = await ingest(app, t, over);
  expect((await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id })).data.startInvestigation.errors).toEqual([]);
  const c = await mutate(app, t.tokens.EXPERT, 'classifyIncident', {
    incidentId: inc.id,
    classification: 'TRUE_POSITIVE',
    determination: 'MALWARE',
    summary: 'Malware executed from a phishing attachment',
  });
  expect(c.data.classifyIncident.errors).toEqual([]);
  return inc;
}

/** A true positive published with three one-click actions on its device (isolate, restrict, quarantine). */
export async function publishedWithOneClicks(app: TestApp, t: TenantFixture): Promise<string> {
  const inc = await truePositive(app, t);
  const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc.id,
    summary,
    actions: [
      { kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id },
      { kind: 'RESTRICT_APP_EXECUTION', targetId: inc.devices[0].id },
      { kind: 'QUARANTINE_FILE', targetId: inc.devices[0].files[0].id },
    ],
  });
  expect(r.data.publishManagedResponse.errors).toEqual([]);
  return inc.id;
}

export const summary = {
  narrative: 'The attacker ran an encoded PowerShell payload that dropped evil.ps1.',
  timeline: [{ at: '2026-11-27T10:00:00Z', deviceName: 'WS-1', event: 'powershell -enc launched' }],
  indicatorsOfAttack: [{ techniqueId: 'T1059.001', description: 'PowerShell' }],
  indicatorsOfCompromise: [{ type: 'FILE_HASH', value: 'a'.repeat(64) }],
};

export async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}
