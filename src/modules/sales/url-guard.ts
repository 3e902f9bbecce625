import { lookup as dnsLookup } from 'node:dns';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { AppError } from '../../shared/errors.js';

/*
 * The webhook must not become a way to reach the server's own network (SSRF): a URL whose host is,
 * or resolves to, a private, loopback, link-local or otherwise non-public address is refused when
 * it is saved AND when an event is sent — at send time the check runs inside the connection's DNS
 * lookup, so the address connected to is the address checked (no DNS rebinding between the two).
 * WEBHOOK_ALLOW_PRIVATE=true (config `webhookAllowPrivate`) lifts this for local testing only.
 */

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), -compatible or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIpv4(ip: string): string | null {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = Number.parseInt(hex[1]!, 16);
    const lo = Number.parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

/** True for an address a webhook may be sent to (public unicast). */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blocked.check(ip, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(ip);
    if (v4) return isPublicAddress(v4);
    return !blocked.check(ip, 'ipv6');
  }
  return false;
}

function refuse(reason: 'private-address' | 'unresolvable' | 'not-http', address?: string): AppError {
  return new AppError('SALES_WEBHOOK_URL_NOT_ALLOWED', {
    field: 'webhookUrl',
    reason,
    ...(address ? { address } : {}),
  });
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals in brackets.
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Checks a webhook URL before it is saved: http(s), and every address of its host public. */
export async function assertWebhookUrlAllowed(raw: string, allowPrivate: boolean): Promise<void> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('not-http');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('not-http');
  if (allowPrivate) return;
  const host = hostOf(url);
  if (isIP(host)) {
    if (!isPublicAddress(host)) throw refuse('private-address', host);
    return;
  }
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw refuse('unresolvable');
  }
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  if (bad) throw refuse('private-address', bad.address);
}

/** A DNS lookup for http(s).request that fails when the host resolves to a non-public address. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as unknown as { address: string; family: number }[];
    const bad = list.find((a) => !isPublicAddress(a.address));
    if (bad || list.length === 0) {
      const error = Object.assign(
        new Error(`webhook host resolves to a non-public address ${bad?.address}`),
        {
          code: 'SALES_WEBHOOK_URL_NOT_ALLOWED',
        },
      );
      return callback(error, '', 0);
    }
    if ((options as { all?: boolean }).all)
      return (callback as (e: null, a: typeof list) => void)(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
};

/**
 * POSTs a webhook body with the address guard (see above); resolves with the HTTP status. Redirects
 * are not followed. Throws on network errors, timeouts and refused addresses (code
 * SALES_WEBHOOK_URL_NOT_ALLOWED).
 */
export function postWebhook(
  raw: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean; timeoutMs: number },
): Promise<number> {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return Promise.reject(refuse('not-http'));
  const host = hostOf(url);
  if (!options.allowPrivate && isIP(host) && !isPublicAddress(host))
    return Promise.reject(refuse('private-address', host));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: options.timeoutMs,
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('webhook timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
