import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeEmail } from '../../shared/email.js';

/*
 * What an e-mail address tells us without asking the network: its syntax, whether its domain is a
 * free-mail/ISP or disposable provider (lists in ./lists, shipped with the code), whether it is a
 * role mailbox (info@), and the key under which two spellings of one mailbox meet (dedupe).
 */

function dataFile(name: string): string {
  // Works from src/ (tsx) and from dist/src/ (built): the lists stay in src/modules/contacts/lists.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const here = join(dir, 'lists', name);
    if (existsSync(here)) return here;
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'src', 'modules', 'contacts', 'lists', name);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`data file ${name} not found`);
    dir = parent;
  }
}

interface DomainList {
  /** Listed domains: they and their subdomains match. */
  exact: Set<string>;
  /** Domains listed as `*.domain`: only their subdomains match. */
  subdomainsOf: Set<string>;
}

function loadList(name: string): DomainList {
  const exact = new Set<string>();
  const subdomainsOf = new Set<string>();
  for (const raw of readFileSync(dataFile(name), 'utf8').split('\n')) {
    const line = raw.trim().toLowerCase();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*.')) subdomainsOf.add(line.slice(2));
    else exact.add(line);
  }
  return { exact, subdomainsOf };
}

let freemail: DomainList | undefined;
let disposable: DomainList | undefined;

// One set lookup per label of the domain, however long the lists (an import checks every row's
// domain; a scan of the ~400 wildcard entries took longer than parsing the row).
function inList(list: DomainList, domain: string): boolean {
  if (list.exact.has(domain)) return true;
  // Subdomains of listed providers (mx.gmx.de) belong to them too.
  for (let i = domain.indexOf('.'); i !== -1; i = domain.indexOf('.', i + 1)) {
    const parent = domain.slice(i + 1);
    if (list.exact.has(parent) || list.subdomainsOf.has(parent)) return true;
  }
  return false;
}

/** A free-mail or ISP mailbox domain (gmail.com, gmx.de, t-online.de): says nothing about an employer. */
export function isFreemailDomain(domain: string): boolean {
  freemail ??= loadList('freemail-domains.txt');
  const d = domain.toLowerCase();
  return inList(freemail, d) || isDisposableDomain(d);
}

/** A throw-away mailbox provider (mailinator.com). */
export function isDisposableDomain(domain: string): boolean {
  disposable ??= loadList('disposable-domains.txt');
  return inList(disposable, domain.toLowerCase());
}

/** Mailboxes of a function, not a person: info@, vertrieb@, noreply@ … (German and English). */
const ROLE_MAILBOXES = new Set(
  (
    'admin administrator abuse account accounts accounting billing buchhaltung contact contacts ' +
    'customerservice dev devnull dns einkauf enquiries events finance ftp hello help helpdesk hostmaster ' +
    'hr info information inquiries invoice invoices it jobs karriere kontakt kundenservice legal mail ' +
    'mailer-daemon marketing media news newsletter no-reply noc noreply office orders personal post ' +
    'postmaster presse press privacy datenschutz purchasing rechnung rechnungen recruiting root sales ' +
    'security service shop support team technik verkauf vertrieb webmaster welcome zentrale'
  ).split(' '),
);

export function isRoleAddress(email: string): boolean {
  const local = email.slice(0, email.lastIndexOf('@')).toLowerCase();
  return ROLE_MAILBOXES.has(local) || ROLE_MAILBOXES.has(local.split(/[+.\-_]/)[0] ?? '');
}

/** The domain part of a normalised address. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

// RFC 5321/5322 in the form real mailboxes use: dot-atom local part (no quoted strings), a domain
// of LDH labels with a letter TLD (or punycode), 64/253/254 length limits.
const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why an address is not deliverable by its syntax alone, or undefined when it looks fine. */
export function emailSyntaxProblem(email: string): string | undefined {
  const normalized = normalizeEmail(email);
  if (!normalized || normalized.length > 254) return 'not an e-mail address';
  const at = normalized.lastIndexOf('@');
  const local = normalized.slice(0, at);
  const domain = normalized.slice(at + 1);
  if (local.length > 64) return 'local part longer than 64 characters';
  if (!LOCAL_RE.test(email.trim().slice(0, email.trim().lastIndexOf('@')))) return 'invalid local part';
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((l) => !LABEL_RE.test(l))) return 'invalid domain';
  const tld = labels[labels.length - 1] ?? '';
  if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return 'invalid top-level domain';
  return undefined;
}

const GMAIL = new Set(['gmail.com', 'googlemail.com']);

/**
 * The key under which two spellings of one mailbox meet: the normalised address, with provider
 * rules only where the provider documents them (Gmail ignores dots and "+tags" and treats
 * googlemail.com as gmail.com). Used to propose duplicates; never merges by itself.
 */
export function emailMatchKey(normalized: string): string {
  const at = normalized.lastIndexOf('@');
  let local = normalized.slice(0, at);
  let domain = normalized.slice(at + 1);
  if (GMAIL.has(domain)) {
    domain = 'gmail.com';
    local = local.split('+')[0]!.replaceAll('.', '');
  }
  return `${local}@${domain}`;
}

/** A readable company name from a domain: "mueller-maschinenbau.de" → "Mueller Maschinenbau". */
export function companyNameFromDomain(domain: string): string {
  const labels = domain.split('.').filter((l) => l !== 'www');
  // acme.co.uk, firma.com.au: the registrable name sits one label further left.
  const secondLevel =
    labels.length > 2 && /^(co|com|org|net|ac|gv|or|ltd|plc)$/.test(labels[labels.length - 2]!);
  const main = labels[labels.length - (secondLevel ? 3 : 2)] ?? domain;
  return main
    .split(/[-_]/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
