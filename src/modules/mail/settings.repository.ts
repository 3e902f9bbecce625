import type { Selectable } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { MailSettingsTable } from '../../shared/db/schema.js';

export type MailSettings = Selectable<MailSettingsTable>;

/** The settings of a workspace; a workspace that never saved any gets the defaults (no imprint). */
export async function findMailSettings(db: Executor, workspaceId: string): Promise<MailSettings> {
  const row = await db
    .selectFrom('mail_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return (
    row ?? {
      workspace_id: workspaceId,
      from_name: '',
      from_email: null,
      reply_to: null,
      imprint: '',
      logo_url: null,
      accent_color: '#1c7ed6',
      tracking_enabled: false,
      rate_per_minute: null,
      domain_rate_per_minute: null,
      domain_rates: {},
      soft_bounce_limit: 3,
      version: 0,
      updated_at: new Date(0),
    }
  );
}

export type MailSettingsPatch = Partial<
  Pick<
    MailSettings,
    | 'from_name'
    | 'from_email'
    | 'reply_to'
    | 'imprint'
    | 'logo_url'
    | 'accent_color'
    | 'tracking_enabled'
    | 'rate_per_minute'
    | 'domain_rate_per_minute'
    | 'domain_rates'
    | 'soft_bounce_limit'
  >
>;

/** Writes the settings (creating the row on first save) and bumps the version that compiled templates depend on. */
export async function upsertMailSettings(
  db: Executor,
  workspaceId: string,
  patch: MailSettingsPatch,
  now: Date,
): Promise<MailSettings> {
  const values = {
    ...patch,
    ...(patch.domain_rates !== undefined ? { domain_rates: JSON.stringify(patch.domain_rates) } : {}),
  };
  return db
    .insertInto('mail_settings')
    .values({ workspace_id: workspaceId, ...values, version: 1, updated_at: now })
    .onConflict((oc) =>
      oc.column('workspace_id').doUpdateSet((eb) => ({
        ...values,
        version: eb('mail_settings.version', '+', 1),
        updated_at: now,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}
