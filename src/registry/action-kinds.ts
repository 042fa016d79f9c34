// The one registry of action kinds (SPEC.md section 4). Everything else reads it: the database
// enum (db/schema.ts), the GraphQL enum and the target union, publish-time validation, the
// permission hints, the built-in estate's effects (connectors/estate.ts, one per one-click kind,
// checked complete by the compiler) and the HTTP EDR request. Adding a kind: one entry here, one
// effect there, one migration (`npm run db:generate` adds the enum value).
//
// This module imports nothing and sits below every layer (src/registry/: the open lists), so
// storage, connectors, domain and GraphQL all read it with their arrows pointing down.

/** What a kind acts on; null for MANUAL (free text, performed outside the service). */
export type TargetType = 'Device' | 'DeviceFile' | 'Account' | 'EmailMessage' | 'Indicator';

export interface KindSpec {
  readonly target: TargetType | null;
  /** The card's title when the experts give none. */
  readonly title: string;
  /** One-click: run through the response connector. Otherwise the customer confirms it. */
  readonly oneClick: boolean;
  /** The kind that reverses this one, if any. */
  readonly undo: string | null;
  /** What the action does to its target, as SPEC.md says it (schema descriptions, the EDR request). */
  readonly effect: string;
  /** The Defender (or Entra ID / Office 365) action a remote responder maps it to. */
  readonly edrAction: string | null;
  /** The attempt records a result (scan findings, package reference). */
  readonly hasResult?: boolean;
}

const registry = {
  ISOLATE_DEVICE: { target: 'Device', title: 'Isolate device', oneClick: true, undo: 'RELEASE_FROM_ISOLATION', effect: 'The device is cut off from the network except the EDR channel.', edrAction: 'Isolate' },
  RELEASE_FROM_ISOLATION: { target: 'Device', title: 'Release device from isolation', oneClick: true, undo: null, effect: 'The isolation is lifted.', edrAction: 'Unisolate' },
  QUARANTINE_FILE: { target: 'DeviceFile', title: 'Stop and quarantine file', oneClick: true, undo: null, effect: 'Running processes stop, the file is quarantined and its persistence removed.', edrAction: 'StopAndQuarantineFile' },
  RESTRICT_APP_EXECUTION: { target: 'Device', title: 'Restrict app execution', oneClick: true, undo: 'REMOVE_APP_RESTRICTION', effect: 'Only trusted-signed code may run on the device.', edrAction: 'RestrictCodeExecution' },
  REMOVE_APP_RESTRICTION: { target: 'Device', title: 'Remove app execution restriction', oneClick: true, undo: null, effect: 'The app execution restriction is lifted.', edrAction: 'UnrestrictCodeExecution' },
  MANUAL: { target: null, title: 'Manual action', oneClick: false, undo: null, effect: 'Instructions the customer performs outside the service.', edrAction: null },
  RUN_ANTIVIRUS_SCAN: { target: 'Device', title: 'Run antivirus scan', oneClick: true, undo: null, effect: 'An antivirus scan runs on the device; the threats it found are recorded on the attempt.', edrAction: 'RunAntiVirusScan', hasResult: true },
  COLLECT_INVESTIGATION_PACKAGE: { target: 'Device', title: 'Collect investigation package', oneClick: true, undo: null, effect: 'A forensic package is collected from the device; its size and download reference are recorded on the attempt.', edrAction: 'CollectInvestigationPackage', hasResult: true },
  DISABLE_USER: { target: 'Account', title: 'Disable user', oneClick: true, undo: 'ENABLE_USER', effect: 'The account can no longer sign in.', edrAction: 'DisableUser' },
  ENABLE_USER: { target: 'Account', title: 'Enable user', oneClick: true, undo: null, effect: 'The account may sign in again.', edrAction: 'EnableUser' },
  REVOKE_SESSIONS: { target: 'Account', title: 'Revoke sign-in sessions', oneClick: true, undo: null, effect: "Every session and refresh token of the account is invalidated.", edrAction: 'RevokeSignInSessions' },
  FORCE_PASSWORD_RESET: { target: 'Account', title: 'Force password reset', oneClick: true, undo: null, effect: 'The user must change the password at the next sign-in.', edrAction: 'ForcePasswordReset' },
  SOFT_DELETE_EMAIL: { target: 'EmailMessage', title: 'Soft-delete email', oneClick: true, undo: 'RESTORE_EMAIL', effect: 'The message leaves the mailbox for Recoverable Items.', edrAction: 'SoftDelete' },
  MOVE_EMAIL_TO_JUNK: { target: 'EmailMessage', title: 'Move email to junk', oneClick: true, undo: 'RESTORE_EMAIL', effect: 'The message moves to the Junk folder.', edrAction: 'MoveToJunk' },
  RESTORE_EMAIL: { target: 'EmailMessage', title: 'Restore email to inbox', oneClick: true, undo: null, effect: 'The message is back in the inbox.', edrAction: 'MoveToInbox' },
  BLOCK_INDICATOR: { target: 'Indicator', title: 'Block indicator', oneClick: true, undo: 'UNBLOCK_INDICATOR', effect: "The tenant's indicator list blocks it, until its expiry if one is set.", edrAction: 'BlockIndicator' },
  UNBLOCK_INDICATOR: { target: 'Indicator', title: 'Unblock indicator', oneClick: true, undo: null, effect: 'The indicator is removed from the block list.', edrAction: 'UnblockIndicator' },
} as const satisfies Record<string, KindSpec>;

export type ActionKind = keyof typeof registry;
export const ACTION_KIND_REGISTRY: Readonly<Record<ActionKind, KindSpec>> = registry;
/** In declaration order (the database enum's order: new kinds go at the end). */
export const ACTION_KINDS = Object.keys(registry) as [ActionKind, ...ActionKind[]];

/** The kinds that run through a response connector (all but MANUAL), as a type for the effects table. */
export type OneClickKind = { [K in ActionKind]: (typeof registry)[K]['oneClick'] extends true ? K : never }[ActionKind];
export const isOneClick = (kind: ActionKind): kind is OneClickKind => registry[kind].oneClick;
export const targetOf = (kind: ActionKind): TargetType | null => registry[kind].target;
export const defaultTitle = (kind: ActionKind): string => registry[kind].title;
/** The kinds that act on a target type (the action center filter, the entity page's buttons). */
export const kindsFor = (target: TargetType): ActionKind[] => ACTION_KINDS.filter((k) => registry[k].target === target);
