// Object references shared between the type files (declared once, implemented in their file).
import type {
  ActivityRow,
  ChatMessageRow,
  AlertRow,
  CommentRow,
  DeviceFileRow,
  DeviceRow,
  EvidenceRow,
  IncidentRow,
  PrincipalRow,
  TenantRow,
  AccountRow,
  EmailMessageRow,
  IndicatorRow,
} from '../db/schema';
import { builder } from './builder';

export const TenantRef = builder.objectRef<TenantRow>('Tenant');
export const PrincipalRef = builder.objectRef<PrincipalRow>('Principal');
export const IncidentRef = builder.objectRef<IncidentRow>('Incident');
export const AlertRef = builder.objectRef<AlertRow>('Alert');
export const EvidenceRef = builder.objectRef<EvidenceRow>('Evidence');
export const DeviceRef = builder.objectRef<DeviceRow>('Device');
export const DeviceFileRef = builder.objectRef<DeviceFileRow>('DeviceFile');
export const CommentRef = builder.objectRef<CommentRow>('Comment');
export const ActivityRef = builder.objectRef<ActivityRow>('Activity');
export const ChatMessageRef = builder.objectRef<ChatMessageRow>('ChatMessage');
export const AccountRef = builder.objectRef<AccountRow>('Account');
export const EmailMessageRef = builder.objectRef<EmailMessageRow>('EmailMessage');
export const IndicatorRef = builder.objectRef<IndicatorRow>('Indicator');
