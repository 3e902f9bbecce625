import { Anchor, Text, type TextProps } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Long technical text (errors, payloads): two lines at first, the rest on request. */
export function ExpandableText({
  children,
  limit = 140,
  ...textProps
}: { children: string; limit?: number } & TextProps) {
  const { t } = useTranslation();
  const [expanded, setExpanded] = useState(false);
  const long = children.length > limit;

  return (
    <div>
      <Text {...textProps} lineClamp={long && !expanded ? 2 : undefined} style={{ wordBreak: 'break-word' }}>
        {children}
      </Text>
      {long ? (
        <Anchor
          component="button"
          type="button"
          size="xs"
          onClick={() => setExpanded((v) => !v)}
          aria-expanded={expanded}
        >
          {expanded ? t('common.showLess') : t('common.showMore')}
        </Anchor>
      ) : null}
    </div>
  );
}
