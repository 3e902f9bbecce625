/**
 * Every error a user or client can see has a stable code. This table is the one place that maps a
 * code to its HTTP status and to the message people read, in English and German. Modules add their
 * codes here so that the OpenAPI document and the UI share one list.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, en: 'The request is invalid.', de: 'Die Anfrage ist ungültig.' },
  BAD_REQUEST: { status: 400, en: 'The request could not be understood.', de: 'Die Anfrage ist fehlerhaft.' },
  UNAUTHENTICATED: { status: 401, en: 'Please log in.', de: 'Bitte melden Sie sich an.' },
  INVALID_CREDENTIALS: {
    status: 401,
    en: 'E-mail address or password is wrong.',
    de: 'E-Mail-Adresse oder Passwort ist falsch.',
  },
  API_KEY_INVALID: {
    status: 401,
    en: 'The API key is invalid or revoked.',
    de: 'Der API-Schlüssel ist ungültig oder widerrufen.',
  },
  CSRF_TOKEN_INVALID: {
    status: 403,
    en: 'The security token is missing or invalid. Reload the page.',
    de: 'Das Sicherheits-Token fehlt oder ist ungültig. Laden Sie die Seite neu.',
  },
  FORBIDDEN: {
    status: 403,
    en: 'You do not have permission for this.',
    de: 'Dafür fehlt Ihnen die Berechtigung.',
  },
  WORKSPACE_REQUIRED: {
    status: 400,
    en: 'Choose a workspace (header x-workspace-id).',
    de: 'Wählen Sie einen Arbeitsbereich (Header x-workspace-id).',
  },
  NOT_FOUND: { status: 404, en: 'Not found.', de: 'Nicht gefunden.' },
  STAGE_TRANSITION_NOT_ALLOWED: {
    status: 409,
    en: 'This lifecycle stage cannot be reached from the current one (see the workspace lifecycle settings).',
    de: 'Diese Lifecycle-Phase ist von der aktuellen aus nicht erreichbar (siehe Lifecycle-Einstellungen des Arbeitsbereichs).',
  },
  SQL_NOT_QUALIFIED: {
    status: 409,
    en: 'A contact becomes SQL only when need, budget and authority are confirmed, or by hand with a note.',
    de: 'Ein Kontakt wird erst SQL, wenn Bedarf, Budget und Entscheidungsbefugnis bestätigt sind, oder von Hand mit einer Notiz.',
  },
  SCORING_RULE_INVALID: {
    status: 400,
    en: 'The scoring rule is incomplete or invalid.',
    de: 'Die Scoring-Regel ist unvollständig oder ungültig.',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    en: 'This address does not exist.',
    de: 'Diese Adresse gibt es nicht.',
  },
  METHOD_NOT_ALLOWED: { status: 405, en: 'Method not allowed.', de: 'Methode nicht erlaubt.' },
  CONFLICT: {
    status: 409,
    en: 'This conflicts with existing data.',
    de: 'Das widerspricht vorhandenen Daten.',
  },
  EMAIL_TAKEN: {
    status: 409,
    en: 'A user with this e-mail address already exists.',
    de: 'Ein Benutzer mit dieser E-Mail-Adresse existiert bereits.',
  },
  SLUG_TAKEN: {
    status: 409,
    en: 'This short name is already in use.',
    de: 'Dieser Kurzname ist bereits vergeben.',
  },
  LAST_ADMIN: {
    status: 409,
    en: 'A workspace needs at least one admin.',
    de: 'Ein Arbeitsbereich braucht mindestens einen Admin.',
  },
  JOB_NOT_DEAD: {
    status: 409,
    en: 'Only dead-lettered jobs can be retried.',
    de: 'Nur endgültig fehlgeschlagene Jobs können wiederholt werden.',
  },
  CONTACT_EXISTS: {
    status: 409,
    en: 'A contact with this e-mail address already exists.',
    de: 'Ein Kontakt mit dieser E-Mail-Adresse existiert bereits.',
  },
  CONFIRMATION_MISMATCH: {
    status: 409,
    en: 'The selection changed since you confirmed it. Check it and confirm again.',
    de: 'Die Auswahl hat sich seit Ihrer Bestätigung geändert. Prüfen Sie sie und bestätigen Sie erneut.',
  },
  DOMAIN_TAKEN: {
    status: 409,
    en: 'This domain already belongs to another company.',
    de: 'Diese Domain gehört bereits zu einem anderen Unternehmen.',
  },
  MERGE_SAME_RECORD: {
    status: 400,
    en: 'A record cannot be merged with itself.',
    de: 'Ein Datensatz kann nicht mit sich selbst zusammengeführt werden.',
  },
  MERGE_NOT_REVERSIBLE: {
    status: 409,
    en: 'This merge can no longer be undone.',
    de: 'Diese Zusammenführung kann nicht mehr rückgängig gemacht werden.',
  },
  SEGMENT_IN_USE: {
    status: 409,
    en: 'Other segments use this segment. Change them first.',
    de: 'Andere Segmente verwenden dieses Segment. Ändern Sie zuerst diese.',
  },
  IMPORT_STATE_INVALID: {
    status: 409,
    en: 'The import cannot do this in its current state.',
    de: 'Der Import kann das in seinem aktuellen Zustand nicht.',
  },
  IMPORT_HAS_ERRORS: {
    status: 409,
    en: 'Some rows have errors: import the valid rows only, or correct the file.',
    de: 'Einige Zeilen sind fehlerhaft: Importieren Sie nur die gültigen Zeilen oder korrigieren Sie die Datei.',
  },
  IMPORT_FILE_INVALID: {
    status: 400,
    en: 'The file cannot be read as CSV.',
    de: 'Die Datei kann nicht als CSV gelesen werden.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, en: 'The request is too large.', de: 'Die Anfrage ist zu groß.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    en: 'This content type is not supported.',
    de: 'Dieser Inhaltstyp wird nicht unterstützt.',
  },
  RATE_LIMITED: {
    status: 429,
    en: 'Too many attempts. Please wait and try again.',
    de: 'Zu viele Versuche. Bitte warten Sie und versuchen Sie es erneut.',
  },
  OPT_IN_TOKEN_INVALID: {
    status: 404,
    en: 'This confirmation link is not valid. Please use the link from the most recent e-mail.',
    de: 'Dieser Bestätigungslink ist ungültig. Bitte verwenden Sie den Link aus der neuesten E-Mail.',
  },
  OPT_IN_TOKEN_EXPIRED: {
    status: 410,
    en: 'This confirmation link has expired. You can request a new e-mail.',
    de: 'Dieser Bestätigungslink ist abgelaufen. Sie können eine neue E-Mail anfordern.',
  },
  REPERMISSION_EMPTY: {
    status: 400,
    en: 'Choose a segment or contacts: the selection is empty.',
    de: 'Wählen Sie ein Segment oder Kontakte: die Auswahl ist leer.',
  },
  REPERMISSION_SEGMENT_UNKNOWN: {
    status: 404,
    en: 'This segment does not exist in this workspace.',
    de: 'Dieses Segment gibt es in diesem Arbeitsbereich nicht.',
  },
  REPERMISSION_TOO_MANY: {
    status: 400,
    en: 'Too many contacts for one re-permission request (at most 5,000).',
    de: 'Zu viele Kontakte für eine Re-Permission-Anfrage (höchstens 5.000).',
  },
  STALE_DAYS_OUT_OF_RANGE: {
    status: 400,
    en: 'The freshness period must be a whole number of days from 30 to 3,650.',
    de: 'Der Aktualitätszeitraum muss eine ganze Zahl von Tagen zwischen 30 und 3.650 sein.',
  },
  EXPORT_TOKEN_INVALID: {
    status: 404,
    en: 'This download link is not valid. Start the export again.',
    de: 'Dieser Download-Link ist ungültig. Starten Sie den Export erneut.',
  },
  EXPORT_TOKEN_EXPIRED: {
    status: 410,
    en: 'This download link has expired. Start the export again.',
    de: 'Dieser Download-Link ist abgelaufen. Starten Sie den Export erneut.',
  },
  EXPORT_TOKEN_USED: {
    status: 409,
    en: 'This download link has already been used. Start the export again.',
    de: 'Dieser Download-Link wurde bereits verwendet. Starten Sie den Export erneut.',
  },
  OPT_IN_TOKEN_USED: {
    status: 409,
    en: 'This confirmation link has already been used.',
    de: 'Dieser Bestätigungslink wurde bereits verwendet.',
  },
  CONSENT_LINK_INVALID: {
    status: 404,
    en: 'This link is not valid or has expired.',
    de: 'Dieser Link ist ungültig oder abgelaufen.',
  },
  CONSENT_NOT_FOUND: {
    status: 404,
    en: 'There is no consent for this purpose.',
    de: 'Für diesen Zweck gibt es keine Einwilligung.',
  },
  INTERNAL: {
    status: 500,
    en: 'Something went wrong on our side.',
    de: 'Bei uns ist etwas schiefgegangen.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    en: 'The database is not reachable right now.',
    de: 'Die Datenbank ist gerade nicht erreichbar.',
  },
  SHUTTING_DOWN: {
    status: 503,
    en: 'The server is restarting. Please try again.',
    de: 'Der Server startet neu. Bitte versuchen Sie es erneut.',
  },
  CONFIG_INVALID: { status: 500, en: 'The configuration is invalid.', de: 'Die Konfiguration ist ungültig.' },
  MIGRATIONS_PENDING: {
    status: 503,
    en: 'Database migrations are pending.',
    de: 'Datenbank-Migrationen stehen aus.',
  },
  BACKUP_INVALID: {
    status: 400,
    en: 'The backup is damaged, incomplete or not a Leadwerk backup.',
    de: 'Die Sicherung ist beschädigt, unvollständig oder keine Leadwerk-Sicherung.',
  },
  BACKUP_SCHEMA_MISMATCH: {
    status: 409,
    en: 'The backup was made with other database migrations than this database has.',
    de: 'Die Sicherung stammt von einem anderen Migrationsstand als diese Datenbank.',
  },
  RESTORE_TARGET_NOT_EMPTY: {
    status: 409,
    en: 'The target database already contains data. Use --force to replace it.',
    de: 'Die Zieldatenbank enthält bereits Daten. Mit --force werden sie ersetzt.',
  },
  DATABASE_NOT_LEADWERK: {
    status: 409,
    en: 'This database contains tables that Leadwerk did not create.',
    de: 'Diese Datenbank enthält Tabellen, die nicht von Leadwerk stammen.',
  },
  DATABASE_BUSY: {
    status: 409,
    en: 'The database is in use. Stop the Leadwerk servers and workers and try again.',
    de: 'Die Datenbank wird gerade benutzt. Beenden Sie die Leadwerk-Server und -Worker und versuchen Sie es erneut.',
  },
  FORM_NEWSLETTER_REQUIRES_ONLY_EMAIL: {
    status: 422,
    en: 'A newsletter form may require only the e-mail address; every other field must be optional.',
    de: 'Ein Newsletter-Formular darf nur die E-Mail-Adresse verlangen; alle anderen Felder müssen freiwillig sein.',
  },
  FORM_DEFINITION_INVALID: {
    status: 422,
    en: 'The form is incomplete or contradictory.',
    de: 'Das Formular ist unvollständig oder widersprüchlich.',
  },
  FORM_NOT_FOUND: {
    status: 404,
    en: 'This form does not exist or is not published.',
    de: 'Dieses Formular gibt es nicht oder es ist nicht veröffentlicht.',
  },
  FORM_ORIGIN_NOT_ALLOWED: {
    status: 403,
    en: 'This form may not be used on this website.',
    de: 'Dieses Formular darf auf dieser Website nicht verwendet werden.',
  },
  FORM_INPUT_INVALID: {
    status: 400,
    en: 'Please check your entries.',
    de: 'Bitte prüfen Sie Ihre Eingaben.',
  },
  DOWNLOAD_LINK_INVALID: {
    status: 404,
    en: 'This download link is invalid or has expired.',
    de: 'Dieser Download-Link ist ungültig oder abgelaufen.',
  },
  MAIL_IMPRINT_MISSING: {
    status: 422,
    en: 'This workspace has no imprint (§5 DDG). Add one under Mail → Settings before sending marketing mail.',
    de: 'Dieser Arbeitsbereich hat kein Impressum (§5 DDG). Hinterlegen Sie es unter Mail → Einstellungen, bevor Sie Werbe-Mails versenden.',
  },
  MAIL_PURPOSE_REQUIRED: {
    status: 400,
    en: 'A marketing mail needs the consent purpose it is sent for.',
    de: 'Eine Werbe-Mail braucht den Einwilligungszweck, für den sie versendet wird.',
  },
  MAIL_RECIPIENT_INVALID: {
    status: 400,
    en: 'The recipient address is not a valid e-mail address.',
    de: 'Die Empfängeradresse ist keine gültige E-Mail-Adresse.',
  },
  MAIL_TEMPLATE_NOT_FOUND: {
    status: 404,
    en: 'This mail template does not exist.',
    de: 'Diese Mail-Vorlage gibt es nicht.',
  },
  MAIL_TEMPLATE_INVALID: {
    status: 422,
    en: 'The template cannot be rendered. Check the MJML and the Liquid placeholders.',
    de: 'Die Vorlage lässt sich nicht darstellen. Prüfen Sie MJML und Liquid-Platzhalter.',
  },
  MAIL_TEMPLATE_VARIANT_MISSING: {
    status: 422,
    en: 'The template has no variant in this language.',
    de: 'Die Vorlage hat keine Fassung in dieser Sprache.',
  },
  MAIL_REPORT_UNREADABLE: {
    status: 422,
    en: 'This is neither a delivery status notification (RFC 3464) nor a complaint report (ARF).',
    de: 'Das ist weder eine Zustellbenachrichtigung (RFC 3464) noch eine Beschwerde (ARF).',
  },
  SENDING_DOMAIN_TAKEN: {
    status: 409,
    en: 'This sending domain is already set up in this workspace.',
    de: 'Diese Absender-Domain ist in diesem Arbeitsbereich schon eingerichtet.',
  },
  SUPPRESSION_PROTECTED: {
    status: 409,
    en: 'This entry records an unsubscribe, objection or erasure and cannot be removed here.',
    de: 'Dieser Eintrag hält eine Abmeldung, einen Widerspruch oder eine Löschung fest und kann hier nicht entfernt werden.',
  },
  JOURNEY_NOT_FOUND: { status: 404, en: 'This journey does not exist.', de: 'Diese Journey gibt es nicht.' },
  JOURNEY_STATE_INVALID: {
    status: 409,
    en: 'The journey cannot do this in its current state.',
    de: 'Die Journey kann das in ihrem aktuellen Zustand nicht.',
  },
  JOURNEY_STEP_MAPPING_REQUIRED: {
    status: 409,
    en: 'Contacts are waiting in steps the new version removes: choose a step for each of them.',
    de: 'In Schritten, die die neue Version entfernt, befinden sich Kontakte: Wählen Sie für jeden einen Schritt.',
  },
  EVENT_NOT_FOUND: {
    status: 404,
    en: 'This event does not exist.',
    de: 'Diese Veranstaltung gibt es nicht.',
  },
  EVENT_CANCELLED: {
    status: 409,
    en: 'This event has been cancelled.',
    de: 'Diese Veranstaltung wurde abgesagt.',
  },
  EVENT_STARTED: {
    status: 409,
    en: 'This event has already begun; registrations can no longer be cancelled.',
    de: 'Diese Veranstaltung hat bereits begonnen; Anmeldungen können nicht mehr storniert werden.',
  },
  EVENT_OVER: {
    status: 409,
    en: 'This event is over and can no longer be cancelled.',
    de: 'Diese Veranstaltung ist vorbei und kann nicht mehr abgesagt werden.',
  },
  EVENT_LINK_INVALID: {
    status: 404,
    en: 'This link is invalid or has expired.',
    de: 'Dieser Link ist ungültig oder abgelaufen.',
  },
  JOURNEY_NOT_ACTIVE: {
    status: 409,
    en: 'The journey is not active; contacts can only be added to an active journey.',
    de: 'Die Journey ist nicht aktiv; Kontakte können nur einer aktiven Journey hinzugefügt werden.',
  },
  SALES_LEAD_NOT_OPEN: {
    status: 409,
    en: 'This lead is no longer open for this step (someone else may have acted on it).',
    de: 'Dieser Lead ist für diesen Schritt nicht mehr offen (vielleicht hat jemand anderes ihn schon bearbeitet).',
  },
  SALES_NOT_YOUR_LEAD: {
    status: 403,
    en: 'This lead is assigned to someone else.',
    de: 'Dieser Lead ist jemand anderem zugewiesen.',
  },
  SALES_MANAGER_ONLY: {
    status: 403,
    en: 'Only sales managers and admins can do this.',
    de: 'Das können nur Vertriebsleitungen und Admins.',
  },
  SALES_NOT_A_REP: {
    status: 409,
    en: 'This person is not set up as an active sales rep in this workspace.',
    de: 'Diese Person ist in diesem Arbeitsbereich nicht als aktive Vertriebsperson eingerichtet.',
  },
  SALES_HANDOFF_NOT_POSSIBLE: {
    status: 409,
    en: 'This contact is already with sales or a customer and cannot be handed off again.',
    de: 'Dieser Kontakt ist bereits beim Vertrieb oder Kunde und kann nicht erneut übergeben werden.',
  },
  SALES_NOTE_REQUIRED: {
    status: 400,
    en: 'Please add a note.',
    de: 'Bitte ergänzen Sie eine Notiz.',
  },
  SALES_WEBHOOK_URL_NOT_ALLOWED: {
    status: 400,
    en: 'The webhook URL must be a public http(s) address; private, loopback and link-local addresses are not allowed.',
    de: 'Die Webhook-URL muss eine öffentliche http(s)-Adresse sein; private, Loopback- und Link-Local-Adressen sind nicht erlaubt.',
  },
} as const satisfies Record<string, { status: number; en: string; de: string }>;

export type ErrorCode = keyof typeof ERRORS;
export type Locale = 'en' | 'de';

/** An error with a stable code; services and repositories throw these, never HTTP errors. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(details && typeof details.reason === 'string' ? `${code}: ${details.reason}` : code, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

/** The message for a code in the reader's language. */
export function errorMessage(code: ErrorCode, locale: Locale): string {
  return ERRORS[code][locale];
}

/** Picks de or en from an Accept-Language header (en is the fallback). */
export function localeFromHeader(header: string | undefined): Locale {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) : 1 };
    })
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith('de')) return 'de';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}
