import { describe, expect, it } from 'vitest';
import { isDisposableDomain, isFreemailDomain } from './email-rules.js';

describe('domain lists', () => {
  it('matches a listed domain and its subdomains, in any case', () => {
    expect(isFreemailDomain('gmx.de')).toBe(true);
    expect(isFreemailDomain('GMX.DE')).toBe(true);
    expect(isFreemailDomain('mx.gmx.de')).toBe(true);
    expect(isDisposableDomain('mailinator.com')).toBe(true);
    expect(isDisposableDomain('eu.mailinator.com')).toBe(true);
  });

  it('matches only the subdomains of a domain listed as *.domain', () => {
    // anonaddy.com is listed only as *.anonaddy.com (aliases live on user subdomains).
    expect(isDisposableDomain('someone.anonaddy.com')).toBe(true);
    expect(isDisposableDomain('a.b.anonaddy.com')).toBe(true);
    expect(isDisposableDomain('anonaddy.com')).toBe(false);
  });

  it('does not match a company domain, nor one that merely ends in the same letters', () => {
    expect(isFreemailDomain('acme-maschinenbau.de')).toBe(false);
    expect(isFreemailDomain('notgmx.de')).toBe(false);
    expect(isDisposableDomain('notanonaddy.com')).toBe(false);
    // A disposable domain is never an employer either.
    expect(isFreemailDomain('mailinator.com')).toBe(true);
  });
});
