import { Button, Group, MultiSelect, NumberInput, Select, Stack, Textarea, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useForms } from '../forms/forms-api.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { type EventSummary, toInstant, toLocalInput, useSaveEvent } from './events-api.js';

/** Reminder choices (minutes before the start). */
const REMINDERS = [10_080, 2_880, 1_440, 180, 60, 15] as const;

function timeZones(): string[] {
  const list =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['Europe/Berlin'];
  return list.includes('UTC') ? list : [...list, 'UTC'];
}

/** Create or change an event: time read in the event's own time zone, place or link, capacity, form, reminders. */
export function EventForm({ event, onSaved }: { event?: EventSummary; onSaved: (e: EventSummary) => void }) {
  const { t } = useTranslation();
  const save = useSaveEvent(event?.id);
  const forms = useForms();
  const zones = useMemo(timeZones, []);
  const [title, setTitle] = useState(event?.title ?? '');
  const [description, setDescription] = useState(event?.description ?? '');
  const [timeZone, setTimeZone] = useState(
    event?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'Europe/Berlin',
  );
  const [start, setStart] = useState(event ? toLocalInput(event.startsAt, event.timeZone) : '');
  const [end, setEnd] = useState(event ? toLocalInput(event.endsAt, event.timeZone) : '');
  const [location, setLocation] = useState(event?.location ?? '');
  const [onlineUrl, setOnlineUrl] = useState(event?.onlineUrl ?? '');
  const [capacity, setCapacity] = useState<number | string>(event?.capacity ?? '');
  const [formId, setFormId] = useState<string | null>(event?.formId ?? null);
  const [reminders, setReminders] = useState<string[]>(
    (event?.reminderMinutes ?? [1440]).map((m) => String(m)),
  );
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const serverErrors = fieldErrorsOf(save.error, t);
  const errors = { ...serverErrors, ...localErrors };

  const reminderLabel = (m: number) =>
    m % 1440 === 0
      ? t('events.reminderDays', { count: m / 1440 })
      : m % 60 === 0
        ? t('events.reminderHours', { count: m / 60 })
        : t('events.reminderMinutes', { count: m });
  const reminderOptions = [...new Set([...REMINDERS, ...(event?.reminderMinutes ?? [])])]
    .sort((a, b) => b - a)
    .map((m) => ({ value: String(m), label: reminderLabel(m) }));

  function submit() {
    const problems: Record<string, string> = {};
    if (!title.trim()) problems.title = t('errors.required');
    const startsAt = toInstant(start, timeZone);
    const endsAt = toInstant(end, timeZone);
    if (!startsAt) problems.startsAt = t('errors.required');
    if (!endsAt) problems.endsAt = t('errors.required');
    else if (startsAt && endsAt <= startsAt) problems.endsAt = t('events.endAfterStart');
    if (!location.trim() && !onlineUrl.trim()) problems.location = t('events.placeOrLink');
    setLocalErrors(problems);
    if (Object.keys(problems).length > 0 || !startsAt || !endsAt) return;
    save.mutate(
      {
        title: title.trim(),
        description,
        startsAt,
        endsAt,
        timeZone,
        location: location.trim() || null,
        onlineUrl: onlineUrl.trim() || null,
        capacity: typeof capacity === 'number' ? capacity : null,
        formId,
        reminderMinutes: reminders.map(Number),
      },
      {
        onSuccess: ({ event: saved }) => {
          notifications.show({ color: 'brand', message: t('events.saved', { title: saved.title }) });
          onSaved(saved);
        },
        onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      },
    );
  }

  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <Stack gap="md" maw={640}>
        <TextInput
          label={t('events.fieldTitle')}
          required
          value={title}
          error={errors.title}
          onChange={(e) => setTitle(e.currentTarget.value)}
        />
        <Textarea
          label={t('events.fieldDescription')}
          autosize
          minRows={2}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
        />
        <Select
          label={t('events.fieldTimeZone')}
          description={t('events.timeZoneHint')}
          searchable
          data={zones}
          value={timeZone}
          allowDeselect={false}
          onChange={(v) => v && setTimeZone(v)}
        />
        <Group grow>
          <TextInput
            type="datetime-local"
            label={t('events.fieldStart')}
            required
            value={start}
            error={errors.startsAt}
            onChange={(e) => setStart(e.currentTarget.value)}
          />
          <TextInput
            type="datetime-local"
            label={t('events.fieldEnd')}
            required
            value={end}
            error={errors.endsAt}
            onChange={(e) => setEnd(e.currentTarget.value)}
          />
        </Group>
        <TextInput
          label={t('events.fieldLocation')}
          value={location}
          error={errors.location}
          onChange={(e) => setLocation(e.currentTarget.value)}
        />
        <TextInput
          label={t('events.fieldOnlineUrl')}
          placeholder="https://"
          type="url"
          value={onlineUrl}
          error={errors.onlineUrl}
          onChange={(e) => setOnlineUrl(e.currentTarget.value)}
        />
        <NumberInput
          label={t('events.fieldCapacity')}
          description={t('events.capacityHint')}
          min={1}
          allowDecimal={false}
          value={capacity}
          error={errors.capacity}
          onChange={setCapacity}
        />
        <Select
          label={t('events.fieldForm')}
          description={t('events.formHint')}
          clearable
          data={(forms.data ?? [])
            .filter((f) => f.status !== 'archived')
            .map((f) => ({ value: f.id, label: f.name }))}
          value={formId}
          onChange={setFormId}
        />
        <MultiSelect
          label={t('events.fieldReminders')}
          description={t('events.remindersHint')}
          data={reminderOptions}
          value={reminders}
          maxValues={5}
          error={errors.reminderMinutes}
          onChange={setReminders}
        />
        <Group>
          <Button type="submit" loading={save.isPending}>
            {event ? t('events.save') : t('events.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
