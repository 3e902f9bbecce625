import { generateKeyPairSync } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import { encryptSecret } from './key-encryption.js';
import {
  deleteSendingDomain,
  findSendingDomain,
  findSendingDomainByName,
  insertSendingDomain,
  type SendingDomain,
  saveDomainCheck,
} from './sending-domains.repository.js';

/*
 * Sending domains: the From domain of a workspace with its DKIM key pair (RSA 2048; the private
 * key encrypted with a key derived from SECRET_KEY, the public key for DNS) and its return-path
 * domain for VERP bounces. The DNS report lists the records the domain needs for SPF, DKIM and
 * DMARC alignment and, when asked, what DNS says today.
 */

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function normalizeDomain(value: string, field: string): string {
  const ascii = domainToASCII(value.trim().toLowerCase().replace(/\.$/, ''));
  if (!ascii || !DOMAIN_RE.test(ascii)) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ field, message: 'a domain like example.com' }] });
  }
  return ascii;
}

/** Adds a sending domain with a new DKIM key; the private key never leaves the server unencrypted. */
export async function addSendingDomain(
  db: Db,
  clock: Clock,
  secretKey: string,
  actor: Actor,
  workspaceId: string,
  input: { domain: string; selector?: string | undefined; returnPathDomain?: string | undefined },
): Promise<SendingDomain> {
  const domain = normalizeDomain(input.domain, 'domain');
  const returnPath = input.returnPathDomain
    ? normalizeDomain(input.returnPathDomain, 'returnPathDomain')
    : `bounces.${domain}`;
  if (returnPath !== domain && !returnPath.endsWith(`.${domain}`)) {
    // DMARC's relaxed SPF alignment needs the return path under the From domain.
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'returnPathDomain', message: `must be ${domain} or a subdomain of it` }],
    });
  }
  const now = clock.now();
  const selector = (
    input.selector ?? `lw${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`
  ).toLowerCase();
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(selector)) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'selector', message: 'letters, digits and -' }],
    });
  }
  if (await findSendingDomainByName(db, workspaceId, domain))
    throw new AppError('SENDING_DOMAIN_TAKEN', { field: 'domain' });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return db.transaction().execute(async (trx) => {
    const row = await insertSendingDomain(trx, {
      id: newId(),
      workspace_id: workspaceId,
      domain,
      dkim_selector: selector,
      dkim_private_key: encryptSecret(secretKey, pem, `${workspaceId}:${domain}`),
      dkim_public_key: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      return_path_domain: returnPath,
      created_by: actor.userId,
      created_at: now,
    }).catch((err: unknown) => {
      throw (err as Error).message?.includes('no result')
        ? new AppError('SENDING_DOMAIN_TAKEN', { field: 'domain' })
        : err;
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.sending-domain-added',
      targetType: 'sending_domain',
      targetId: row.id,
      details: { domain, selector, returnPathDomain: returnPath },
    });
    return row;
  });
}

export async function removeSendingDomain(
  db: Db,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await deleteSendingDomain(trx, workspaceId, id);
    if (!row) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.sending-domain-removed',
      targetType: 'sending_domain',
      targetId: id,
      details: { domain: row.domain, selector: row.dkim_selector },
    });
  });
}

export type DnsPurpose = 'dkim' | 'spf' | 'dmarc' | 'bounce-mx';

export interface DnsRecordReport {
  purpose: DnsPurpose;
  type: 'TXT' | 'MX';
  name: string;
  /** What to publish. */
  value: string;
  /** What DNS answered when checked. */
  found: string[];
  status: 'ok' | 'missing' | 'mismatch' | 'unchecked';
  note: string;
}

export interface DnsLookup {
  txt(name: string): Promise<string[]>;
  mx(name: string): Promise<string[]>;
}

/** Public DNS with short timeouts; an unanswered name counts as "no record". */
export function systemDnsLookup(): DnsLookup {
  const resolver = new Resolver({ timeout: 2500, tries: 1 });
  const safe = async <T>(p: Promise<T>, empty: T) => p.catch(() => empty);
  return {
    txt: async (name) =>
      (await safe(resolver.resolveTxt(name), [] as string[][])).map((parts) => parts.join('')),
    mx: async (name) => (await safe(resolver.resolveMx(name), [])).map((r) => r.exchange.toLowerCase()),
  };
}

/**
 * The records a sending domain needs: DKIM (the public key under the selector), SPF for the
 * return-path domain (the relay may send for it), DMARC for the From domain (start with p=none),
 * and — when the bounce endpoint runs — an MX for the return-path domain pointing to it.
 */
export function expectedDnsRecords(
  row: SendingDomain,
  options: { smtpHost?: string | undefined; bounceHost?: string | undefined },
): DnsRecordReport[] {
  const spf = ['v=spf1', 'mx', ...(options.smtpHost ? [`a:${options.smtpHost}`] : []), '~all'].join(' ');
  const records: DnsRecordReport[] = [
    {
      purpose: 'dkim',
      type: 'TXT',
      name: `${row.dkim_selector}._domainkey.${row.domain}`,
      value: `v=DKIM1; k=rsa; p=${row.dkim_public_key}`,
      found: [],
      status: 'unchecked',
      note: 'Signs every mail from this domain; receivers check the signature with this key.',
    },
    {
      purpose: 'spf',
      type: 'TXT',
      name: row.return_path_domain,
      value: spf,
      found: [],
      status: 'unchecked',
      note: 'Allows your SMTP relay to send with the return path (bounce) address of this domain.',
    },
    {
      purpose: 'dmarc',
      type: 'TXT',
      name: `_dmarc.${row.domain}`,
      value: `v=DMARC1; p=none; rua=mailto:dmarc-reports@${row.domain}; adkim=r; aspf=r`,
      found: [],
      status: 'unchecked',
      note: 'Start with p=none, read the reports, then move to p=quarantine. Any existing DMARC record is fine.',
    },
  ];
  if (options.bounceHost) {
    records.push({
      purpose: 'bounce-mx',
      type: 'MX',
      name: row.return_path_domain,
      value: `10 ${options.bounceHost}`,
      found: [],
      status: 'unchecked',
      note: 'Delivers bounces to Leadwerk’s bounce endpoint (BOUNCE_SMTP_PORT, reachable on port 25).',
    });
  }
  return records;
}

function compare(record: DnsRecordReport, found: string[]): DnsRecordReport['status'] {
  if (found.length === 0) return 'missing';
  switch (record.purpose) {
    case 'dkim': {
      const key = /p=([A-Za-z0-9+/=]+)/.exec(record.value)?.[1];
      return found.some((f) => f.replace(/\s+/g, '').includes(`p=${key}`)) ? 'ok' : 'mismatch';
    }
    case 'spf':
      return found.some((f) => f.startsWith('v=spf1')) ? 'ok' : 'missing';
    case 'dmarc':
      return found.some((f) => f.replace(/\s+/g, '').startsWith('v=DMARC1')) ? 'ok' : 'mismatch';
    case 'bounce-mx': {
      const host = record.value.split(' ')[1]!.toLowerCase();
      return found.some((f) => f.replace(/\.$/, '') === host) ? 'ok' : 'mismatch';
    }
  }
}

/** The DNS report of a sending domain; with `check`, asks DNS and stores the result. */
export async function dnsReport(
  db: Db,
  clock: Clock,
  workspaceId: string,
  id: string,
  options: {
    smtpHost?: string | undefined;
    bounceHost?: string | undefined;
    check: boolean;
    lookup?: DnsLookup;
  },
): Promise<{ domain: SendingDomain; records: DnsRecordReport[]; checkedAt: Date | null }> {
  const row = await findSendingDomain(db, workspaceId, id);
  if (!row) throw new AppError('NOT_FOUND');
  const records = expectedDnsRecords(row, options);
  if (!options.check) {
    const last = (
      row.last_check as {
        records?: { name: string; purpose: string; found: string[]; status: DnsRecordReport['status'] }[];
      } | null
    )?.records;
    for (const r of records) {
      const prev = last?.find((x) => x.purpose === r.purpose && x.name === r.name);
      if (prev) Object.assign(r, { found: prev.found, status: prev.status });
    }
    return { domain: row, records, checkedAt: row.last_checked_at };
  }
  const lookup = options.lookup ?? systemDnsLookup();
  for (const r of records) {
    const found = r.type === 'MX' ? await lookup.mx(r.name) : await lookup.txt(r.name);
    r.found =
      r.purpose === 'dmarc'
        ? found.filter((f) => /^v=dmarc1/i.test(f))
        : r.purpose === 'spf'
          ? found.filter((f) => f.startsWith('v=spf1'))
          : found;
    r.status = compare(r, r.found);
  }
  const now = clock.now();
  await saveDomainCheck(
    db,
    workspaceId,
    id,
    { records: records.map(({ name, purpose, found, status }) => ({ name, purpose, found, status })) },
    now,
  );
  return { domain: { ...row, last_checked_at: now }, records, checkedAt: now };
}
