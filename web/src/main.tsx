import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/client.js';
import { App } from './app/app.js';
import { createI18n, detectInitialLocale, readSavedLocale } from './i18n/index.js';

const locale = detectInitialLocale(readSavedLocale(), navigator.language);
const i18n = createI18n(locale);
const api = createApiClient({ fallbackMessage: (lng) => i18n.t('errors.network', { lng }) });

function applyLanguage(language: string) {
  document.documentElement.lang = language;
  api.state.locale = language;
}
applyLanguage(i18n.language);
i18n.on('languageChanged', applyLanguage);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App api={api} i18n={i18n} />
  </StrictMode>,
);
