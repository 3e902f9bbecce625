import {
  Anchor,
  Box,
  Button,
  Checkbox,
  NativeSelect,
  Paper,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { type FormDefinition, type FormDetail, isBantField } from './forms-api.js';

/**
 * What the form will look like, in one of its languages: the same fields, texts, unticked consent
 * boxes and Art. 13 block as the hosted page and the embed. Inputs are inert (a preview collects nothing).
 * A BANT question shows the server's fixed choices (`bantChoices`), which the draft only carries
 * once it has been saved.
 */
export function FormPreview({
  def,
  locale,
  bantChoices,
}: {
  def: FormDefinition;
  locale: 'de' | 'en';
  bantChoices?: FormDetail['bantChoices'];
}) {
  const { t } = useTranslation();
  const pt = (key: 'required' | 'optional' | 'consents' | 'purpose' | 'controller' | 'privacy') =>
    t(`forms.preview.${key}`, { lng: locale });
  return (
    <Paper p="lg" withBorder aria-label={t('forms.preview.title')} role="region" lang={locale}>
      <Stack gap="sm">
        <Title order={3}>{def.title[locale] || '…'}</Title>
        {def.eventName ? <Text fw={500}>{def.eventName}</Text> : null}
        {def.intro[locale] ? <Text size="sm">{def.intro[locale]}</Text> : null}
        {def.fields.map((f) => {
          const label = `${f.label[locale] || f.key} (${f.required ? pt('required') : pt('optional')})`;
          const description = f.purpose[locale] || undefined;
          const id = `preview-${locale}-${f.key}`;
          if (f.type === 'textarea')
            return <Textarea key={f.key} id={id} label={label} description={description} readOnly />;
          if (
            f.type === 'select' ||
            isBantField(f.type) ||
            (f.type === 'product_interest' && f.options?.length)
          )
            // A native select like the hosted page's: its choices can be looked at, nothing is sent.
            return (
              <NativeSelect
                key={f.key}
                id={id}
                label={label}
                description={description}
                data={[
                  { value: '', label: '' },
                  ...((isBantField(f.type) ? bantChoices?.[f.type] : undefined) ?? f.options ?? []).map(
                    (o) => ({
                      value: o.value,
                      label: o.label[locale] || o.value,
                    }),
                  ),
                ]}
              />
            );
          return <TextInput key={f.key} id={id} label={label} description={description} readOnly />;
        })}
        {def.consents.length > 0 ? (
          <Box
            component="fieldset"
            style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 6 }}
          >
            <Text component="legend" fw={600} size="sm">
              {pt('consents')}
            </Text>
            <Stack gap="xs">
              {def.consents.map((c) => (
                <Checkbox
                  key={c.key}
                  id={`preview-${locale}-c-${c.key}`}
                  checked={false}
                  readOnly
                  label={`${c.text[locale]}${c.required ? ` (${pt('required')})` : ''}`}
                />
              ))}
            </Stack>
          </Box>
        ) : null}
        {def.contentForConsent && def.couplingNotice[locale] ? (
          <Text size="sm" fw={500}>
            {def.couplingNotice[locale]}
          </Text>
        ) : null}
        <Box>
          <Button tabIndex={-1} aria-disabled>
            {def.submitLabel[locale] || '…'}
          </Button>
        </Box>
        <Text size="xs" c="dimmed">
          <strong>{pt('purpose')}:</strong> {def.purposeStatement[locale]}
        </Text>
        <Text size="xs" c="dimmed">
          <strong>{pt('controller')}:</strong>{' '}
          {[def.controller.name, def.controller.address, def.controller.email].filter(Boolean).join(', ') ||
            '…'}
        </Text>
        {def.privacyNoticeUrl ? (
          <Anchor size="xs" href={def.privacyNoticeUrl} target="_blank" rel="noopener">
            {pt('privacy')}
          </Anchor>
        ) : null}
      </Stack>
    </Paper>
  );
}
