import { Select } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

/* Picks the test contact for a journey test run by searching its e-mail address or name. */

interface ContactHit {
  id: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
}

export function TestContactPicker({
  value,
  onChange,
}: {
  value: string | null;
  onChange: (id: string | null) => void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<{ value: string; label: string } | null>(null);
  const hits = useQuery({
    queryKey: useWorkspaceKey('journey-test-contacts', search),
    queryFn: async () =>
      (
        await api.get<{ items: ContactHit[] }>('/api/v1/contacts', {
          q: search.trim() || undefined,
          limit: 20,
        })
      ).items,
    staleTime: 10_000,
  });
  const options = (hits.data ?? []).map((c) => ({
    value: c.id,
    label: [c.email, [c.firstName, c.lastName].filter(Boolean).join(' ')].filter(Boolean).join(' – '),
  }));
  const data = picked && !options.some((o) => o.value === picked.value) ? [picked, ...options] : options;
  return (
    <Select
      label={t('journeys.testContact')}
      placeholder={t('journeys.testContactSearch')}
      searchable
      clearable
      filter={({ options: o }) => o}
      value={value}
      data={data}
      nothingFoundMessage={t('journeys.testContactNone')}
      onSearchChange={(s) => {
        if (s !== picked?.label) setSearch(s);
      }}
      onChange={(id, option) => {
        setPicked(option ?? null);
        onChange(id);
      }}
      miw={320}
    />
  );
}
