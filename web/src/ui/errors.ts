import type { TFunction } from 'i18next';
import { ApiError } from '../api/client.js';

/** The message to show for a failed call; the server already speaks the reader's language. */
export function messageOf(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.code === 'NETWORK_ERROR') return t('errors.network');
    return error.message || t('errors.generic');
  }
  return t('errors.generic');
}

/** Field errors from the server, keyed by field name, with a message in the reader's language. */
export function fieldErrorsOf(error: unknown, t: TFunction): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const result: Record<string, string> = {};
  for (const { field } of error.fieldErrors) {
    const name = field.split('.')[0] ?? field;
    result[name] = t('errors.fieldInvalid');
  }
  return result;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmail(value: string): boolean {
  return EMAIL.test(value.trim());
}
