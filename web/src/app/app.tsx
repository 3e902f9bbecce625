import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import type { i18n as I18n } from 'i18next';
import { type ReactNode, useMemo } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import { BrowserRouter } from 'react-router';
import type { ApiClient } from '../api/client.js';
import { ApiProvider } from '../api/context.js';
import { createQueryClient } from './query-client.js';
import { AppRoutes } from './router.js';
import { createAppTheme, cssVariablesResolver } from './theme.js';

export interface AppProps {
  api: ApiClient;
  i18n: I18n;
  queryClient?: ReturnType<typeof createQueryClient>;
}

/** The whole admin UI with its providers; dependencies come in so that tests can pass their own. */
export function App({ api, i18n, queryClient = createQueryClient() }: AppProps) {
  return (
    <I18nextProvider i18n={i18n}>
      <ThemedApp>
        <ApiProvider client={api}>
          <QueryClientProvider client={queryClient}>
            <BrowserRouter basename="/app">
              <AppRoutes />
            </BrowserRouter>
          </QueryClientProvider>
        </ApiProvider>
      </ThemedApp>
    </I18nextProvider>
  );
}

function ThemedApp({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const close = t('common.close');
  const showPassword = t('common.showPassword');
  const theme = useMemo(() => createAppTheme({ close, showPassword }), [close, showPassword]);
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      <Notifications position="top-right" />
      {children}
    </MantineProvider>
  );
}
