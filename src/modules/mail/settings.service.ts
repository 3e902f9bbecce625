import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db/index.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { recordAudit } from '../audit/index.js';
import { type MailSettings, type MailSettingsPatch, upsertMailSettings } from './settings.repository.js';

export interface MailSettingsInput {
  fromName?: string | undefined;
  fromEmail?: string | null | undefined;
  replyTo?: string | null | undefined;
  imprint?: string | undefined;
  logoUrl?: string | null | undefined;
  accentColor?: string | undefined;
  trackingEnabled?: boolean | undefined;
  ratePerMinute?: number | null | undefined;
  domainRatePerMinute?: number | null | undefined;
  domainRates?: Record<string, number> | undefined;
  softBounceLimit?: number | undefined;
}

function bad(field: string, message: string): never {
  throw new AppError('VALIDATION_FAILED', { fields: [{ field, message }] });
}

function address(value: string | null | undefined, field: string): string | null | undefined {
  if (value === undefined || value === null || value === '') return value === '' ? null : value;
  if (/[\s<>,;"]/.test(value.trim()) || !normalizeEmail(value)) bad(field, 'an e-mail address');
  return value.trim();
}

/**
 * Saves the workspace's sending settings (sender, layout, imprint, tracking, rates). The imprint
 * (§5 DDG) is what every marketing mail shows; without it marketing mail is refused.
 */
export async function updateMailSettings(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  input: MailSettingsInput,
): Promise<MailSettings> {
  const patch: MailSettingsPatch = {};
  if (input.fromName !== undefined) patch.from_name = input.fromName.replace(/[\r\n]+/g, ' ').trim();
  const from = address(input.fromEmail, 'fromEmail');
  if (from !== undefined) patch.from_email = from;
  const replyTo = address(input.replyTo, 'replyTo');
  if (replyTo !== undefined) patch.reply_to = replyTo;
  if (input.imprint !== undefined) patch.imprint = input.imprint.trim();
  if (input.logoUrl !== undefined) {
    if (input.logoUrl && !/^https:\/\/[^\s"'<>]+$/.test(input.logoUrl)) bad('logoUrl', 'an https:// address');
    patch.logo_url = input.logoUrl || null;
  }
  if (input.accentColor !== undefined) {
    if (!/^#[0-9a-fA-F]{6}$/.test(input.accentColor)) bad('accentColor', 'a colour like #1c7ed6');
    patch.accent_color = input.accentColor;
  }
  if (input.trackingEnabled !== undefined) patch.tracking_enabled = input.trackingEnabled;
  if (input.ratePerMinute !== undefined) patch.rate_per_minute = input.ratePerMinute;
  if (input.domainRatePerMinute !== undefined) patch.domain_rate_per_minute = input.domainRatePerMinute;
  if (input.domainRates !== undefined) {
    for (const [domain, rate] of Object.entries(input.domainRates)) {
      if (!/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain) || !Number.isInteger(rate) || rate < 1) {
        bad(`domainRates.${domain}`, 'a domain and a whole number of mails per minute');
      }
    }
    patch.domain_rates = input.domainRates;
  }
  if (input.softBounceLimit !== undefined) patch.soft_bounce_limit = input.softBounceLimit;
  return db.transaction().execute(async (trx) => {
    const settings = await upsertMailSettings(trx, workspaceId, patch, clock.now());
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.settings-updated',
      targetType: 'workspace',
      targetId: workspaceId,
      details: { changed: Object.keys(patch), version: settings.version },
    });
    return settings;
  });
}
