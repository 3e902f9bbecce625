import { Anchor, Checkbox, Group, Input, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useCodeLabel } from '../ui/translate-code.js';
import classes from './scope-picker.module.css';

interface ScopePickerProps {
  scopes: string[];
  value: string[];
  onChange: (value: string[]) => void;
  error?: string;
}

/** Groups scopes such as `contacts:read` by what they give access to, one row per resource. */
export function groupScopes(
  scopes: string[],
): { resource: string; scopes: { scope: string; action: string }[] }[] {
  const groups = new Map<string, { scope: string; action: string }[]>();
  for (const scope of scopes) {
    const [resource = scope, action = ''] = scope.split(':');
    const group = groups.get(resource) ?? [];
    group.push({ scope, action });
    groups.set(resource, group);
  }
  return [...groups].map(([resource, items]) => ({ resource, scopes: items }));
}

export function ScopePicker({ scopes, value, onChange, error }: ScopePickerProps) {
  const { t } = useTranslation();
  const resourceLabel = useCodeLabel('apiKeys.resources');
  const actionLabel = useCodeLabel('apiKeys.actions');
  const selected = new Set(value);
  const toggle = (scope: string, on: boolean) =>
    onChange(on ? [...value, scope] : value.filter((s) => s !== scope));

  return (
    <Input.Wrapper
      label={t('apiKeys.scopes')}
      description={t('apiKeys.scopesHint')}
      required
      error={error}
      labelElement="div"
      id="scope-picker"
    >
      <Group gap="md" mt={6} mb={4}>
        <Anchor
          component="button"
          type="button"
          size="sm"
          onClick={() => onChange(scopes.filter((s) => s.endsWith(':read')))}
        >
          {t('apiKeys.selectReadOnly')}
        </Anchor>
        <Anchor component="button" type="button" size="sm" onClick={() => onChange([])}>
          {t('apiKeys.clearScopes')}
        </Anchor>
      </Group>
      <Stack gap={0} className={classes.list}>
        {groupScopes(scopes).map((group) => (
          <fieldset key={group.resource} className={classes.row}>
            <legend className={classes.legend}>
              <Text size="sm" fw={500} component="span">
                {resourceLabel(group.resource)}
              </Text>
            </legend>
            <Group gap="lg" className={classes.actions}>
              {group.scopes.map(({ scope, action }) => (
                <Checkbox
                  key={scope}
                  label={actionLabel(action)}
                  title={scope}
                  checked={selected.has(scope)}
                  onChange={(e) => toggle(scope, e.currentTarget.checked)}
                  value={scope}
                />
              ))}
            </Group>
          </fieldset>
        ))}
      </Stack>
    </Input.Wrapper>
  );
}
