// One error model. Expected rule violations are `DomainError`s: the GraphQL layer turns them into
// `UserError` payload entries (mutations) after the transaction rolled back, so nothing is
// half-written. `AccessError` is the top-level FORBIDDEN / UNAUTHENTICATED kind.

export const USER_ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'INVALID_TRANSITION',
  'VERSION_CONFLICT',
  'NOT_PERMITTED_FOR_ACCESS_LEVEL',
  'TARGET_EXCLUDED',
  'ALREADY_IN_PROGRESS',
  'FORBIDDEN',
  'ALREADY_EXISTS',
  'NOT_CONFIGURED',
] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
    readonly field?: string[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, field?: string[]) =>
  new DomainError('NOT_FOUND', `${what} was not found`, field);

export const invalid = (message: string, field?: string[]) => new DomainError('INVALID_INPUT', message, field);

export class AccessError extends Error {
  constructor(
    readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN',
    message: string,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}
