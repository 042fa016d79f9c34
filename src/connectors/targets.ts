// Outbound HTTP targets that tenants configure (the Teams workflow webhook now, webhook endpoints
// next) are checked here: https only, and never an address on loopback, link-local or a private
// network (SSRF: a tenant admin must not make our servers call into our own network), unless the
// operator allows it (WEBHOOK_ALLOW_PRIVATE, for on-premises receivers and tests).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) blocked.addSubnet(net, bits, 'ipv6');

export class TargetError extends Error {}

function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped ? blocked.check(mapped[1], 'ipv4') : blocked.check(address, 'ipv6');
  }
  return true;
}

/** Syntax and scheme of a target URL (when it is configured). Returns the normalised URL. */
export function parseTarget(raw: string, opts: { allowPrivate: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new TargetError('must be an absolute URL, e.g. https://example.com/hook');
  }
  if (url.protocol !== 'https:' && !(opts.allowPrivate && url.protocol === 'http:')) throw new TargetError('must use https://');
  if (url.username || url.password) throw new TargetError('must not carry credentials before the host');
  if (raw.length > 2048) throw new TargetError('must be at most 2048 characters');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isBlockedAddress(host)))) {
    throw new TargetError('must not point at a loopback, link-local or private address');
  }
  return url;
}

/**
 * Right before a request: resolve the host and refuse private addresses (a public name may
 * resolve to a private address, or change to one after it was configured).
 */
export async function checkTarget(url: URL, opts: { allowPrivate: boolean }): Promise<void> {
  if (opts.allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
  if (addresses.length === 0 || addresses.some((a) => isBlockedAddress(a.address))) {
    throw new TargetError(`${url.hostname} resolves to a loopback, link-local or private address`);
  }
}

/** What may be shown or logged of a secret URL: scheme and host only. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}
