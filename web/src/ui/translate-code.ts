import { useTranslation } from 'react-i18next';

/**
 * Looks up a server code (an audit action, a scope part) under a translation prefix and falls back
 * to the code itself, so that codes the UI does not know yet still show up.
 */
export function useCodeLabel(
  prefix: 'audit.actions' | 'audit.targets' | 'apiKeys.resources' | 'apiKeys.actions',
) {
  const { t, i18n } = useTranslation();
  return (code: string): string => {
    const key = `${prefix}.${code.replaceAll('.', '_')}`;
    // The key is built at run time, so the typed t() cannot check it; exists() guards it instead.
    return i18n.exists(key) ? (t as unknown as (k: string) => string)(key) : code;
  };
}
