// The built-in estate beyond devices: accounts, mailbox messages and indicators, tenant inventory
// created (or matched) from ingested evidence, and the targets of identity, email and indicator
// actions.
import { isBlocked } from '../connectors/estate';
import { loadAll } from '../domain/loaders';
import { builder } from './builder';
import { describedValues } from './common';
import { IndicatorTypeEnum } from './response';
import { AccountRef, EmailMessageRef, IncidentRef, IndicatorRef, TenantRef } from './refs';

const MailboxLocationEnum = builder.enumType('MailboxLocation', {
  description: 'Where a message is: INBOX, JUNK, or DELETED (soft-deleted to Recoverable Items).',
  values: describedValues(['INBOX', 'JUNK', 'DELETED'] as const, {
    INBOX: 'In the inbox (where RESTORE_EMAIL puts it back).',
    JUNK: 'In the Junk folder (MOVE_EMAIL_TO_JUNK).',
    DELETED: 'Soft-deleted to Recoverable Items (SOFT_DELETE_EMAIL).',
  }),
});
const IndicatorActionEnum = builder.enumType('IndicatorAction', {
  description: "BLOCK: the tenant's indicator list blocks it (until expiresAt, if set). ALLOWED: not blocked.",
  values: describedValues(['BLOCK', 'ALLOWED'] as const, {
    BLOCK: "Blocked by the tenant's indicator list (BLOCK_INDICATOR), until `expiresAt` if set.",
    ALLOWED: 'Not blocked (never was, unblocked, or the block expired).',
  }),
});

builder.node(AccountRef, {
  description: 'A user account of the tenant\'s directory (Entra ID), named by evidence.',
  id: { resolve: (a) => a.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.account, ids),
  fields: (t) => ({
    accountName: t.exposeString('accountName', { description: 'The sAMAccountName-style name, e.g. jdoe.' }),
    domain: t.exposeString('domain', { nullable: true, description: 'The NetBIOS or DNS domain, e.g. CONTOSO.' }),
    upn: t.exposeString('upn', { nullable: true, description: 'User principal name, e.g. jdoe@contoso.com.' }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'The person\'s name as the directory shows it.' }),
    enabled: t.exposeBoolean('enabled', { description: 'False once DISABLE_USER ran: sign-in is blocked.' }),
    sessionsRevokedAt: t.field({ type: 'DateTime', nullable: true, description: 'When REVOKE_SESSIONS last invalidated its sessions.', resolve: (a) => a.sessionsRevokedAt }),
    passwordResetRequired: t.exposeBoolean('passwordResetRequired', { description: 'The user must change the password at the next sign-in.' }),
    remediationExcluded: t.boolean({
      description: 'Whether the tenant excluded this account from expert remediation (break-glass, VIP).',
      resolve: async (a, _x, ctx) => !!(await ctx.loaders.tenant.load(a.tenantId))?.excludedAccountIds.includes(a.id),
    }),
  }),
});

builder.node(EmailMessageRef, {
  description: 'One copy of a message in one recipient\'s mailbox, named by evidence.',
  id: { resolve: (m) => m.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.emailMessage, ids),
  fields: (t) => ({
    networkMessageId: t.exposeString('networkMessageId', { description: 'The id Exchange Online gives the message.' }),
    recipient: t.exposeString('recipient', { description: 'The mailbox it is in.' }),
    sender: t.exposeString('sender', { nullable: true, description: 'The From address.' }),
    subject: t.exposeString('subject', { nullable: true, description: 'The subject line.' }),
    receivedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the mailbox received it.', resolve: (m) => m.receivedAt }),
    location: t.field({ type: MailboxLocationEnum, description: 'Where the message is now (email actions move it).', resolve: (m) => m.location }),
  }),
});

builder.node(IndicatorRef, {
  description: "An entry of the tenant's indicator list: a file hash, IP address, URL or domain, blocked or not.",
  id: { resolve: (i) => i.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.indicator, ids),
  fields: (t) => ({
    type: t.field({ type: IndicatorTypeEnum, description: 'What the value is: a file hash, an IP address, a URL or a domain.', resolve: (i) => i.type }),
    value: t.exposeString('value', { description: 'Normalised: hashes and domains in lower case.' }),
    action: t.field({
      type: IndicatorActionEnum,
      description: 'BLOCK while a block is in force; a block past its expiry reads ALLOWED.',
      resolve: (i) => (isBlocked(i) ? 'BLOCK' : 'ALLOWED'),
    }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, description: 'When the block lapses (null: it does not).', resolve: (i) => (i.action === 'BLOCK' ? i.expiresAt : null) }),
  }),
});

builder.objectFields(IncidentRef, (t) => ({
  accounts: t.field({
    type: [AccountRef],
    description: 'Accounts its evidence names (the targets of identity actions).',
    resolve: (i, _a, ctx) => ctx.loaders.accountsByIncident.load(i.id),
  }),
  emailMessages: t.field({
    type: [EmailMessageRef],
    description: 'Mailbox messages its evidence names (the targets of email actions).',
    resolve: (i, _a, ctx) => ctx.loaders.emailMessagesByIncident.load(i.id),
  }),
}));

builder.objectField(TenantRef, 'excludedAccounts', (t) =>
  t.field({
    type: [AccountRef],
    description: 'Accounts the experts never act on (break-glass, VIP); set with setRemediationExclusions.',
    resolve: async (tenant, _a, ctx) => (await loadAll(ctx.loaders.account, tenant.excludedAccountIds)).filter((a) => a !== null),
  }),
);
