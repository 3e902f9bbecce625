import { Button, Menu } from '@mantine/core';
import { IconCheck, IconChevronDown, IconLanguage } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import shellClasses from '../shell/shell.module.css';
import { LOCALES } from './index.js';
import { useLocale } from './use-locale.js';

/** Switches the UI language; each entry is written in its own language so that anyone can find theirs. */
export function LanguageMenu() {
  const { t } = useTranslation();
  const { locale, setLocale } = useLocale();
  const current = t(`language.${locale}`);

  return (
    <Menu withinPortal={false} position="bottom-end" width={180} shadow="md">
      <Menu.Target>
        <Button
          variant="subtle"
          color="gray"
          c="var(--mantine-color-text)"
          leftSection={<IconLanguage size={18} stroke={1.6} aria-hidden />}
          rightSection={<IconChevronDown size={14} aria-hidden className={shellClasses.hideOnPhone} />}
          aria-label={t('language.menu', { language: current })}
          px="xs"
        >
          <span className={shellClasses.srOnlyOnPhone}>{current}</span>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('language.label')}</Menu.Label>
        {LOCALES.map((code) => (
          <Menu.Item
            key={code}
            lang={code}
            onClick={() => void setLocale(code)}
            rightSection={code === locale ? <IconCheck size={16} aria-hidden /> : null}
            aria-current={code === locale ? 'true' : undefined}
          >
            {t(`language.${code}`, { lng: code })}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
