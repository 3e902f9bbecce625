import type { Actor } from '../../shared/actor.js';
import { randomToken } from '../../shared/crypto.js';
import type { Db } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { CHANNELS } from './form-definition.js';
import { findFormById } from './forms.repository.js';
import {
  countClick,
  findShortLinkByCode,
  insertShortLink,
  type ShortLinkRow,
} from './short-links.repository.js';

const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;

/**
 * Creates a tracked short link (/r/<code>) for a banner, text link, video ad or print: it points
 * at a form (or any landing page) and carries its channel and campaign there in the query string,
 * so attribution works without cookies.
 */
export async function createShortLink(
  db: Db,
  actor: Actor,
  workspaceId: string,
  input: {
    name: string;
    code?: string | undefined;
    formId?: string | null | undefined;
    targetUrl?: string | null | undefined;
    channel: string;
    utm?: Partial<Record<(typeof UTM_KEYS)[number], string>> | undefined;
  },
): Promise<ShortLinkRow> {
  if (!(CHANNELS as readonly string[]).includes(input.channel))
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'channel', message: CHANNELS.join(', ') }] });
  if (!input.formId === !input.targetUrl)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'formId', message: 'a form or a target URL (one of them)' }],
    });
  if (input.targetUrl && !/^https?:\/\/[^\s]+$/.test(input.targetUrl))
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'targetUrl', message: 'an http(s) address' }],
    });
  if (input.formId && !(await findFormById(db, workspaceId, input.formId)))
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'formId', message: 'no such form' }] });
  const utm: Record<string, string> = {};
  for (const k of UTM_KEYS) {
    const v = input.utm?.[k]?.trim();
    if (v) utm[k] = v.slice(0, 200);
  }
  const code =
    input.code ??
    randomToken(6)
      .replace(/[^A-Za-z0-9]/g, 'x')
      .slice(0, 8);
  return db.transaction().execute(async (trx) => {
    if (await findShortLinkByCode(trx, code)) throw new AppError('SLUG_TAKEN', { field: 'code' });
    const link = await insertShortLink(trx, {
      id: newId(),
      workspace_id: workspaceId,
      code,
      name: input.name.trim(),
      form_id: input.formId ?? null,
      target_url: input.targetUrl ?? null,
      channel: input.channel,
      utm,
      created_by: actor.userId,
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'short-links.created',
      targetType: 'short_link',
      targetId: link.id,
      details: { code, channel: link.channel },
    });
    return link;
  });
}

/** Where /r/<code> sends people (the form or page, with the link's campaign in the query), and counts the click. */
export async function resolveShortLink(
  deps: Pick<AppDeps, 'db' | 'config'>,
  code: string,
): Promise<string | undefined> {
  if (!/^[A-Za-z0-9_-]{3,64}$/.test(code)) return undefined;
  const link = await findShortLinkByCode(deps.db, code);
  if (!link || link.disabled_at) return undefined;
  let target: URL;
  if (link.form_id) {
    const form = await findFormById(deps.db, link.workspace_id, link.form_id);
    if (!form) return undefined;
    target = new URL(`${deps.config.publicUrl}/f/${form.slug}`);
  } else {
    target = new URL(link.target_url!);
  }
  for (const [k, v] of Object.entries(link.utm))
    if (!target.searchParams.has(k)) target.searchParams.set(k, v);
  if (!target.searchParams.has('utm_medium')) target.searchParams.set('utm_medium', link.channel);
  target.searchParams.set('lw_src', link.code);
  await countClick(deps.db, link.id);
  return target.toString();
}

export function toShortLinkBody(l: ShortLinkRow, publicUrl: string) {
  return {
    id: l.id,
    code: l.code,
    name: l.name,
    url: `${publicUrl}/r/${l.code}`,
    formId: l.form_id,
    targetUrl: l.target_url,
    channel: l.channel,
    utm: l.utm,
    clicks: Number(l.clicks),
    disabledAt: l.disabled_at?.toISOString() ?? null,
    createdAt: l.created_at.toISOString(),
  };
}
