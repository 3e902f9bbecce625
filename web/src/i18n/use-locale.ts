import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiClient } from '../api/client.js';
import { useApi } from '../api/context.js';
import type { Locale, Session, User } from '../api/types.js';
import { SESSION_KEY } from '../auth/session.js';
import { isLocale, saveLocale } from './index.js';

/** Stores the language in the user's profile so that mails from the server use it too. */
export async function saveProfileLocale(api: ApiClient, locale: Locale): Promise<User> {
  const { user } = await api.patch<{ user: User }>('/api/v1/me', { locale });
  return user;
}

/** The current UI language and a way to change it everywhere: UI, storage, <html lang>, profile. */
export function useLocale(): { locale: Locale; setLocale: (next: Locale) => Promise<void> } {
  const { i18n, t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const locale: Locale = isLocale(i18n.language) ? i18n.language : 'en';

  const setLocale = useCallback(
    async (next: Locale) => {
      saveLocale(next);
      await i18n.changeLanguage(next);
      // Some texts come from the server in the request's language (import errors, error messages).
      void queryClient.invalidateQueries();
      const session = queryClient.getQueryData<Session | null>(SESSION_KEY);
      if (!session || session.user.locale === next) return;
      try {
        const user = await saveProfileLocale(api, next);
        queryClient.setQueryData<Session | null>(SESSION_KEY, (old) => (old ? { ...old, user } : old));
      } catch {
        notifications.show({ color: 'red', message: t('language.saveFailed') });
      }
    },
    [api, i18n, queryClient, t],
  );

  return { locale, setLocale };
}
