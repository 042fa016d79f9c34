// Unit tests of the pure domain rules: priority score, classification pairs, the pagination
// helper (cursors, page requests, page assembly) and the Sentinel view.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sentinelView, serviceNowView } from '../src/connectors/siem';
import type { IncidentRow } from '../src/db/schema';
import { CLASSIFICATIONS, DETERMINATIONS, isValidClassificationPair, type Classification, type Determination } from '../src/domain/enums';
import {
  buildPage,
  checkPageSize,
  type CursorPart,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_SIZE,
  pageInMemory,
  pageRequest,
} from '../src/domain/pagination';
import { priorityScore } from '../src/domain/priority';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);

describe('priority score', () => {
  const base = { alertCount: 1, deviceGroups: [], firstActivityAt: NOW, now: NOW } as const;

  it('ranks severities in order', () => {
    const scores = (['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH'] as const).map((severity) => priorityScore({ ...base, severity }));
    expect(scores).toEqual([5, 20, 40, 60]);
  });

  it('adds 3 points per extra alert, at most 15', () => {
    const s = (alertCount: number) => priorityScore({ ...base, severity: 'LOW', alertCount });
    expect(s(0)).toBe(20);
    expect(s(1)).toBe(20);
    expect(s(2)).toBe(23);
    expect(s(6)).toBe(35);
    expect(s(100)).toBe(35);
  });

  it('adds 15 points when evidence touches a high-value asset', () => {
    const s = (deviceGroups: (string | null)[]) => priorityScore({ ...base, severity: 'MEDIUM', deviceGroups });
    expect(s(['Workstations', null])).toBe(40);
    for (const group of ['Domain Controllers', 'File Servers', 'Tier 0', 'tier0', 'VIP laptops', 'Executive devices', 'critical-infra', 'DC']) {
      expect(s(['Workstations', group]), group).toBe(55);
    }
    // a word that merely contains "dc" is not a domain controller
    expect(s(['hdcams'])).toBe(40);
  });

  it('adds up to 10 points for age (one per 7.2 hours, capped after three days)', () => {
    const s = (firstActivityAt: Date | null) => priorityScore({ ...base, severity: 'HIGH', firstActivityAt });
    expect(s(null)).toBe(60);
    expect(s(hoursAgo(7))).toBe(60);
    expect(s(hoursAgo(7.2))).toBe(61);
    expect(s(hoursAgo(36))).toBe(65);
    expect(s(hoursAgo(72))).toBe(70);
    expect(s(hoursAgo(24 * 30))).toBe(70);
    // activity reported in the future (clock skew) does not subtract points
    expect(s(new Date(NOW.getTime() + 3_600_000))).toBe(60);
  });

  it('stays within 0-100 and reaches its maximum only with every factor', () => {
    const max = priorityScore({ severity: 'HIGH', alertCount: 50, deviceGroups: ['Domain Controllers'], firstActivityAt: hoursAgo(1000), now: NOW });
    expect(max).toBe(100);
    const min = priorityScore({ severity: 'INFORMATIONAL', alertCount: 0, deviceGroups: [], firstActivityAt: null, now: NOW });
    expect(min).toBe(5);
  });
});

describe('classification and determination pairs (SPEC.md section 2)', () => {
  const SPEC: Record<Classification, Determination[]> = {
    TRUE_POSITIVE: ['MULTI_STAGED_ATTACK', 'MALICIOUS_USER_ACTIVITY', 'COMPROMISED_ACCOUNT', 'MALWARE', 'PHISHING', 'UNWANTED_SOFTWARE', 'OTHER'],
    INFORMATIONAL_EXPECTED_ACTIVITY: ['SECURITY_TESTING', 'LINE_OF_BUSINESS_APPLICATION', 'CONFIRMED_ACTIVITY', 'OTHER'],
    FALSE_POSITIVE: ['NOT_MALICIOUS', 'NOT_ENOUGH_DATA_TO_VALIDATE', 'OTHER'],
    UNKNOWN: ['UNKNOWN'],
  };
  const pairs = CLASSIFICATIONS.flatMap((c) => DETERMINATIONS.map((d) => ({ c, d, valid: SPEC[c].includes(d) })));

  it('covers every classification and determination of the spec', () => {
    expect([...CLASSIFICATIONS].sort()).toEqual(Object.keys(SPEC).sort());
    expect([...DETERMINATIONS].sort()).toEqual([...new Set(Object.values(SPEC).flat())].sort());
  });

  it.each(pairs)('$c / $d is valid: $valid', ({ c, d, valid }) => {
    expect(isValidClassificationPair(c, d)).toBe(valid);
  });
});

describe('pagination cursors', () => {
  const id = randomUUID();

  it('round-trips dates, strings, integers and the row id', () => {
    const at = new Date('2026-02-03T04:05:06.789Z');
    const cursor = encodeCursor(['HIGH', at, 42, id]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // opaque, URL-safe
    expect(decodeCursor(cursor, ['string', 'date', 'int'], 'after')).toEqual(['HIGH', at, 42, id]);
    // activity cursors are just the numeric id
    expect(decodeCursor(encodeCursor([17]), [], 'after', 'int')).toEqual([17]);
  });

  it.each<[string, string, CursorPart[]]>([
    ['not base64 JSON', 'zzz', ['date']],
    ['an empty string', '', ['date']],
    ['a JSON object', Buffer.from('{"a":1}').toString('base64url'), ['date']],
    ['the wrong number of parts', encodeCursor([new Date(), 'x', id]), ['date']],
    ['a bad date', encodeCursor(['yesterday', id]), ['date']],
    ['a non-integer where an int belongs', encodeCursor([1.5, id]), ['int']],
    ['a string that is too long', encodeCursor(['x'.repeat(201), id]), ['string']],
    ['a row id that is not a uuid', encodeCursor([new Date(), "1'; drop table incidents; --"]), ['date']],
    ['a negative numeric id', encodeCursor([-1]), []],
  ])('rejects %s with a BAD_USER_INPUT naming the argument', (_label, cursor, shape) => {
    let error: unknown;
    try {
      decodeCursor(cursor, shape, 'before');
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ message: '"before" is not a cursor of this list', extensions: { code: 'BAD_USER_INPUT', argument: 'before' } });
  });

  it('checks page sizes: 0 to 100', () => {
    expect(() => checkPageSize('first', 0)).not.toThrow();
    expect(() => checkPageSize('first', MAX_PAGE_SIZE)).not.toThrow();
    expect(() => checkPageSize('first', null)).not.toThrow();
    expect(() => checkPageSize('first', MAX_PAGE_SIZE + 1)).toThrow('"first" must be between 0 and 100, got 101');
    expect(() => checkPageSize('last', -1)).toThrow('"last" must be between 0 and 100, got -1');
    expect(() => checkPageSize('first', 2.5)).toThrow(/between 0 and 100/);
  });

  it('turns Relay arguments into a page request', () => {
    expect(pageRequest({}, ['date'])).toEqual({ limit: 20, backward: false, cursor: null });
    expect(pageRequest({ first: 5 }, ['date'])).toEqual({ limit: 5, backward: false, cursor: null });
    expect(pageRequest({ last: 7 }, ['date'])).toEqual({ limit: 7, backward: true, cursor: null });
    const at = new Date('2026-01-01T00:00:00.000Z');
    const c = encodeCursor([at, id]);
    expect(pageRequest({ first: 3, after: c }, ['date'])).toEqual({ limit: 3, backward: false, cursor: [at, id] });
    expect(pageRequest({ before: c }, ['date'])).toEqual({ limit: 20, backward: true, cursor: [at, id] });
  });

  it.each([
    [{ first: 1, last: 1 }, 'Pass either "first" or "last", not both'],
    [{ after: 'a', before: 'b' }, 'Pass either "after" or "before", not both'],
    [{ first: 1, before: 'b' }, '"first" pages forward; use "last" with "before"'],
    [{ last: 1, after: 'a' }, '"last" pages backward; use it with "before"'],
    [{ first: 500 }, '"first" must be between 0 and 100, got 500'],
  ])('refuses %j', (args, message) => {
    expect(() => pageRequest(args, ['date'])).toThrow(message);
  });
});

describe('page assembly', () => {
  const rows = Array.from({ length: 7 }, (_, i) => ({
    id: `00000000-0000-4000-8000-00000000000${i}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, i)),
  }));
  const sortValues = (r: (typeof rows)[number]) => [r.at];
  const page = (args: Parameters<typeof pageRequest>[0], all = rows) => pageInMemory(all, args, sortValues, ['date']);
  const ids = (p: ReturnType<typeof page>) => p.edges.map((e) => e.node.id.slice(-1)).join('');

  it('reports more rows only when there are more (limit + 1 fetched)', () => {
    const req = pageRequest({ first: 3 }, ['date']);
    const more = buildPage(rows.slice(0, 4), req, sortValues, () => 7);
    expect(more.edges).toHaveLength(3);
    expect(more.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const exact = buildPage(rows.slice(0, 3), req, sortValues, () => 3);
    expect(exact.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(exact.pageInfo.startCursor).toBe(exact.edges[0].cursor);
    expect(exact.pageInfo.endCursor).toBe(exact.edges[2].cursor);
    const empty = buildPage([], req, sortValues, () => 0);
    const { hasNextPage, hasPreviousPage, startCursor, endCursor } = empty.pageInfo;
    expect({ hasNextPage, hasPreviousPage, startCursor, endCursor }).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });

  it('walks forward and backward over an in-memory list', () => {
    const p1 = page({ first: 3 });
    expect(ids(p1)).toBe('012');
    const p2 = page({ first: 3, after: p1.pageInfo.endCursor });
    expect(ids(p2)).toBe('345');
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = page({ first: 3, after: p2.pageInfo.endCursor });
    expect(ids(p3)).toBe('6');
    expect(p3.pageInfo.hasNextPage).toBe(false);

    const b1 = page({ last: 3 });
    expect(ids(b1)).toBe('456'); // still in list order
    expect(b1.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const b2 = page({ last: 3, before: b1.pageInfo.startCursor });
    expect(ids(b2)).toBe('123');
    const b3 = page({ last: 3, before: b2.pageInfo.startCursor });
    expect(ids(b3)).toBe('0');
    expect(b3.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    expect(page({}).totalCount()).toBe(7);
  });

  it('continues after a cursor whose row has since disappeared', () => {
    const p1 = page({ first: 3 });
    const without2 = rows.filter((r) => !r.id.endsWith('2'));
    expect(ids(page({ first: 3, after: p1.pageInfo.endCursor }, without2))).toBe('345');
    const b1 = page({ last: 3 });
    const without4 = rows.filter((r) => !r.id.endsWith('4'));
    expect(ids(page({ last: 3, before: b1.pageInfo.startCursor }, without4))).toBe('123');
  });
});

describe('Sentinel view (SPEC.md section 6)', () => {
  const incident = (over: Partial<IncidentRow>): IncidentRow =>
    ({
      status: 'ACTIVE',
      assignment: 'UNASSIGNED',
      classification: 'UNKNOWN',
      determination: 'UNKNOWN',
      customTags: [],
      systemTags: [],
      ...over,
    }) as IncidentRow;

  it.each([
    ['ACTIVE', 'New', []],
    ['IN_PROGRESS', 'Active', []],
    ['AWAITING_CUSTOMER_ACTION', 'Active', ['Awaiting Customer Action']],
    ['RESOLVED', 'Closed', []],
    ['REDIRECTED', 'Closed', ['Merged']],
  ] as const)('status %s is %s', (status, sentinel, labels) => {
    const view = sentinelView(incident({ status }), 'Contoso Experts');
    expect(view.status).toBe(sentinel);
    expect(view.labels).toEqual(labels);
  });

  it('a merged incident closes its ServiceNow ticket as a duplicate', () => {
    const fields = serviceNowView(incident({ status: 'REDIRECTED' }), 'corr-1');
    expect(fields).toMatchObject({ state: '7', close_code: 'Closed/Resolved by Caller', hold_reason: '' });
    expect(fields.close_notes).toMatch(/^Duplicate: merged into another MDR incident/);
  });

  it.each([
    ['EXPERTS', 'Contoso Experts'],
    ['CUSTOMER', 'Customer'],
    ['UNASSIGNED', null],
  ] as const)('assignment %s is owner %s', (assignment, owner) => {
    expect(sentinelView(incident({ assignment }), 'Contoso Experts').owner).toBe(owner);
  });

  it.each([
    ['TRUE_POSITIVE', 'TruePositive', 'SuspiciousActivity'],
    ['FALSE_POSITIVE', 'FalsePositive', 'InaccurateData'],
    ['INFORMATIONAL_EXPECTED_ACTIVITY', 'BenignPositive', 'SuspiciousButExpected'],
    ['UNKNOWN', 'Undetermined', null],
  ] as const)('classification %s is %s / %s', (classification, sentinel, reason) => {
    const view = sentinelView(incident({ classification }), 'X');
    expect(view.classification).toBe(sentinel);
    expect(view.classificationReason).toBe(reason);
  });

  it('labels are the custom and system tags, once each, plus the awaiting label', () => {
    const view = sentinelView(
      incident({ status: 'AWAITING_CUSTOMER_ACTION', customTags: ['vip', 'Defender Experts'], systemTags: ['Defender Experts'] }),
      'Defender Experts',
    );
    expect(view.labels).toEqual(['vip', 'Defender Experts', 'Awaiting Customer Action']);
  });
});
