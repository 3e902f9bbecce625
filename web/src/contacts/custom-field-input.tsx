import { Checkbox, MultiSelect, NumberInput, Select, TextInput } from '@mantine/core';
import type { CustomFieldDef } from './contacts-api.js';

/** The input for one typed custom field; `null` means "no value". */
export function CustomFieldInput({
  def,
  value,
  onChange,
  error,
  disabled,
}: {
  def: CustomFieldDef;
  value: unknown;
  onChange: (v: unknown) => void;
  error?: string | undefined;
  disabled?: boolean;
}) {
  const common = { label: def.label, required: def.required, error, disabled };
  const options = def.options.map((o) => ({ value: o.value, label: o.label }));
  switch (def.type) {
    case 'number':
      return (
        <NumberInput
          {...common}
          value={typeof value === 'number' ? value : ''}
          onChange={(v) => onChange(typeof v === 'number' ? v : v === '' ? null : Number(v))}
        />
      );
    case 'date':
      return (
        <TextInput
          {...common}
          type="date"
          value={typeof value === 'string' ? value.slice(0, 10) : ''}
          onChange={(e) => onChange(e.currentTarget.value || null)}
        />
      );
    case 'choice':
      return (
        <Select
          {...common}
          data={options}
          value={typeof value === 'string' ? value : null}
          onChange={(v) => onChange(v)}
          clearable
        />
      );
    case 'multi_choice':
      return (
        <MultiSelect
          {...common}
          data={options}
          value={Array.isArray(value) ? value.map(String) : []}
          onChange={(v) => onChange(v.length > 0 ? v : null)}
          clearable
        />
      );
    case 'boolean':
      return (
        <Checkbox
          label={def.label}
          disabled={disabled}
          error={error}
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
          mt="lg"
        />
      );
    default:
      return (
        <TextInput
          {...common}
          value={typeof value === 'string' ? value : value == null ? '' : String(value)}
          onChange={(e) => onChange(e.currentTarget.value || null)}
        />
      );
  }
}
