import { createInstance, type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Locale } from '../api/types.js';
import de from './de.json' with { type: 'json' };
import en from './en.json' with { type: 'json' };

export const LOCALES: readonly Locale[] = ['de', 'en'];
export const LOCALE_STORAGE_KEY = 'leadwerk.locale';

export function isLocale(value: unknown): value is Locale {
  return value === 'de' || value === 'en';
}

/** The language a visitor starts with: their saved choice, else German for a German browser, else English. */
export function detectInitialLocale(saved: string | null, browserLanguage: string | undefined): Locale {
  if (isLocale(saved)) return saved;
  return browserLanguage?.toLowerCase().startsWith('de') ? 'de' : 'en';
}

/** Reads the saved choice; storage can be unavailable (private mode, blocked cookies). */
export function readSavedLocale(): string | null {
  try {
    return window.localStorage.getItem(LOCALE_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveLocale(locale: Locale): void {
  try {
    window.localStorage.setItem(LOCALE_STORAGE_KEY, locale);
  } catch {
    // The choice then lasts for this page only.
  }
}

/** Creates the i18next instance with both languages bundled: they are small and switching must be instant. */
export function createI18n(locale: Locale): I18n {
  const instance = createInstance();
  void instance.use(initReactI18next).init({
    resources: { de: { translation: de }, en: { translation: en } },
    lng: locale,
    fallbackLng: 'en',
    supportedLngs: LOCALES,
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  return instance;
}
