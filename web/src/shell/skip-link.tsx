import { useTranslation } from 'react-i18next';
import classes from './shell.module.css';

export const MAIN_CONTENT_ID = 'main-content';

/** The first stop for keyboard users: jumps past header and navigation. */
export function SkipLink() {
  const { t } = useTranslation();
  return (
    <a href={`#${MAIN_CONTENT_ID}`} className={classes.skipLink}>
      {t('a11y.skipToContent')}
    </a>
  );
}
