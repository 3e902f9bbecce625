import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  CopyButton,
  FileInput,
  Group,
  Select,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes, useNavigate, useParams } from 'react-router';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import { EventForm } from './event-form.js';
import {
  csvColumns,
  type EventSummary,
  type Registration,
  useCancelEvent,
  useCancelRegistration,
  useEvent,
  useEvents,
  useImportAttendance,
  useMarkAttended,
} from './events-api.js';

export function EventsRoutes() {
  return (
    <Routes>
      <Route index element={<EventsPage />} />
      <Route path="new" element={<NewEventPage />} />
      <Route path=":id" element={<EventPage />} />
    </Routes>
  );
}

function useCanWrite(): boolean {
  const { role, canManage } = useCurrentWorkspace();
  return canManage || role === 'marketing';
}

function formatWhen(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, {
    // dateStyle/timeStyle cannot be combined with timeZoneName.
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(iso));
}

export function EventsPage() {
  const { t } = useTranslation();
  const events = useEvents();
  const canWrite = useCanWrite();
  return (
    <Page
      title={t('events.title')}
      description={t('events.description')}
      actions={
        canWrite ? (
          <Button component={Link} to="new">
            {t('events.new')}
          </Button>
        ) : null
      }
    >
      {events.isPending ? (
        <Loading />
      ) : events.isError ? (
        <ErrorState error={events.error} onRetry={() => void events.refetch()} />
      ) : events.data.length === 0 ? (
        <Text c="dimmed">{t('events.empty')}</Text>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('events.name')}</Table.Th>
              <Table.Th>{t('events.when')}</Table.Th>
              <Table.Th>{t('events.where')}</Table.Th>
              <Table.Th>{t('events.registered')}</Table.Th>
              <Table.Th>{t('events.waitlisted')}</Table.Th>
              <Table.Th>{t('events.attended')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.data.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>
                  <Anchor component={Link} to={e.id}>
                    {e.title}
                  </Anchor>
                  {e.status === 'cancelled' ? (
                    <Badge ml="xs" color="gray" variant="light">
                      {t('events.eventCancelledBadge')}
                    </Badge>
                  ) : null}
                </Table.Td>
                <Table.Td>{formatWhen(e.startsAt, e.timeZone)}</Table.Td>
                <Table.Td>{e.location ?? e.onlineUrl ?? '–'}</Table.Td>
                <Table.Td>
                  {e.registered}
                  {e.capacity ? ` / ${e.capacity}` : ''}
                </Table.Td>
                <Table.Td>{e.waitlisted}</Table.Td>
                <Table.Td>{e.attended}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Page>
  );
}

function NewEventPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Page title={t('events.newTitle')}>
      <EventForm onSaved={(e) => navigate(`/events/${e.id}`)} />
    </Page>
  );
}

function EventPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const event = useEvent(id);
  const canWrite = useCanWrite();
  const [editing, setEditing] = useState(false);
  if (event.isPending) return <Loading />;
  if (event.isError) return <ErrorState error={event.error} onRetry={() => void event.refetch()} />;
  const ev = event.data.event;
  const regs = event.data.registrations;
  const registered = regs.filter((r) => r.status === 'registered');
  const waiting = regs.filter((r) => r.status === 'waitlisted');
  const cancelled = regs.filter((r) => r.status === 'cancelled');
  const isCancelled = ev.status === 'cancelled';
  const isOver = Date.parse(ev.endsAt) <= Date.now();
  const write = canWrite && !isCancelled;
  return (
    <Page
      title={ev.title}
      description={`${formatWhen(ev.startsAt, ev.timeZone)} · ${ev.location ?? ev.onlineUrl ?? ''}`}
      actions={
        write ? (
          <Group gap="xs">
            <Button variant="default" onClick={() => setEditing((x) => !x)}>
              {editing ? t('events.closeEdit') : t('events.edit')}
            </Button>
            {isOver ? null : <CancelEventButton event={ev} />}
          </Group>
        ) : null
      }
    >
      {isCancelled ? (
        <Alert color="gray" title={t('events.eventCancelledTitle')}>
          {t('events.eventCancelledText')}
        </Alert>
      ) : null}
      {editing ? (
        <Section title={t('events.editTitle')} id="event-edit" description={t('events.editHint')}>
          <EventForm key={ev.sequence} event={ev} onSaved={() => setEditing(false)} />
        </Section>
      ) : null}
      <Group gap="lg">
        <Text>
          {t('events.registered')}: {ev.registered}
          {ev.capacity ? ` / ${ev.capacity}` : ''}
        </Text>
        <Text>
          {t('events.waitlisted')}: {ev.waitlisted}
        </Text>
        <Text>
          {t('events.attended')}: {ev.attended}
        </Text>
      </Group>
      <Section title={t('events.registrationsTitle')} id="event-registrations">
        <RegistrationTable event={ev} rows={registered} canWrite={write} />
      </Section>
      <Section
        title={t('events.waitingListTitle')}
        id="event-waiting"
        description={t('events.waitingListHint')}
      >
        <RegistrationTable event={ev} rows={waiting} canWrite={write} />
      </Section>
      {write ? <AttendanceImport eventId={ev.id} /> : null}
      {cancelled.length > 0 ? (
        <Section title={t('events.cancelledTitle')} id="event-cancelled">
          <RegistrationTable event={ev} rows={cancelled} canWrite={false} />
        </Section>
      ) : null}
    </Page>
  );
}

/** Calls the event off after asking; by default everyone registered or waiting gets a notice. */
function CancelEventButton({ event }: { event: EventSummary }) {
  const { t } = useTranslation();
  const cancel = useCancelEvent(event.id);
  const [open, setOpen] = useState(false);
  const [notify, setNotify] = useState(true);
  return (
    <>
      <Button color="red" variant="light" onClick={() => setOpen(true)}>
        {t('events.cancelEvent')}
      </Button>
      <ConfirmDialog
        opened={open}
        title={t('events.cancelEventTitle', { title: event.title })}
        text={t('events.cancelEventText', { registered: event.registered, waitlisted: event.waitlisted })}
        confirmLabel={t('events.cancelEventConfirm')}
        loading={cancel.isPending}
        onClose={() => setOpen(false)}
        onConfirm={() =>
          cancel.mutate(notify, {
            onSuccess: ({ notified }) => {
              setOpen(false);
              notifications.show({
                color: 'brand',
                message: t('events.cancelEventDone', { count: notified }),
              });
            },
            onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
          })
        }
      >
        <Checkbox
          mt="md"
          checked={notify}
          onChange={(e) => setNotify(e.currentTarget.checked)}
          label={t('events.cancelEventNotify')}
        />
      </ConfirmDialog>
    </>
  );
}

function viaLabel(t: TFunction, via: string | null): string {
  if (via === 'csv') return t('events.via_csv');
  if (via === 'check-in') return t('events.via_checkin');
  return t('events.via_manual');
}

function statusLabel(t: TFunction, status: Registration['status']): string {
  if (status === 'registered') return t('events.status_registered');
  if (status === 'waitlisted') return t('events.status_waitlisted');
  return t('events.status_cancelled');
}

function RegistrationTable({
  event,
  rows,
  canWrite,
}: {
  event: EventSummary;
  rows: Registration[];
  canWrite: boolean;
}) {
  const { t } = useTranslation();
  const attend = useMarkAttended(event.id);
  const cancel = useCancelRegistration(event.id);
  if (rows.length === 0) return <Text c="dimmed">{t('events.noRegistrations')}</Text>;
  const onError = (error: unknown) => notifications.show({ color: 'red', message: messageOf(error, t) });
  return (
    <Table striped>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('events.person')}</Table.Th>
          <Table.Th>{t('events.status')}</Table.Th>
          <Table.Th>{t('events.registeredAt')}</Table.Th>
          <Table.Th>{t('events.attendance')}</Table.Th>
          <Table.Th>{t('events.actions')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => {
          const who = r.name || r.email;
          return (
            <Table.Tr key={r.id}>
              <Table.Td>
                <Anchor component={Link} to={`/contacts/${r.contactId}`}>
                  {who}
                </Anchor>
                {r.name ? (
                  <Text size="xs" c="dimmed">
                    {r.email}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Badge
                  variant="light"
                  color={r.status === 'registered' ? 'green' : r.status === 'waitlisted' ? 'yellow' : 'gray'}
                >
                  {statusLabel(t, r.status)}
                </Badge>
              </Table.Td>
              <Table.Td>{new Date(r.registeredAt).toLocaleString()}</Table.Td>
              <Table.Td>
                {r.attendedAt
                  ? t('events.attendedVia', {
                      when: new Date(r.attendedAt).toLocaleString(),
                      via: viaLabel(t, r.attendedVia),
                    })
                  : '–'}
              </Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  {canWrite && !r.attendedAt && r.status !== 'cancelled' ? (
                    <Button
                      size="xs"
                      variant="light"
                      aria-label={t('events.markAttendedFor', { who })}
                      loading={attend.isPending && attend.variables?.[0] === r.contactId}
                      onClick={() => attend.mutate([r.contactId], { onError })}
                    >
                      {t('events.markAttended')}
                    </Button>
                  ) : null}
                  {r.status === 'registered' ? (
                    <CopyButton value={r.checkinUrl}>
                      {({ copied, copy }) => (
                        <Button
                          size="xs"
                          variant="subtle"
                          aria-label={copied ? t('events.copied') : t('events.copyCheckinFor', { who })}
                          onClick={copy}
                        >
                          {copied ? t('events.copied') : t('events.copyCheckin')}
                        </Button>
                      )}
                    </CopyButton>
                  ) : null}
                  {canWrite && r.status !== 'cancelled' ? (
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      aria-label={t('events.cancelFor', { who })}
                      loading={cancel.isPending && cancel.variables === r.id}
                      onClick={() =>
                        cancel.mutate(r.id, {
                          onError,
                          onSuccess: (res) =>
                            notifications.show({
                              color: 'brand',
                              message: res.promoted
                                ? t('events.cancelledPromoted')
                                : t('events.cancelledDone'),
                            }),
                        })
                      }
                    >
                      {t('events.cancelRegistration')}
                    </Button>
                  ) : null}
                </Group>
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

function AttendanceImport({ eventId }: { eventId: string }) {
  const { t } = useTranslation();
  const importCsv = useImportAttendance(eventId);
  const [csv, setCsv] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [column, setColumn] = useState<string | null>(null);
  const columns = csv ? csvColumns(csv) : [];
  const result = importCsv.data;
  return (
    <Section title={t('events.importTitle')} id="event-import" description={t('events.importHint')}>
      <Stack gap="sm" maw={520}>
        <FileInput
          label={t('events.importFile')}
          accept=".csv,text/csv,text/plain"
          value={file}
          clearable
          clearButtonProps={{ 'aria-label': t('events.importClear') }}
          onChange={async (f) => {
            setFile(f);
            importCsv.reset();
            if (!f) {
              setCsv(null);
              setColumn(null);
              return;
            }
            const text = await f.text();
            setCsv(text);
            const cols = csvColumns(text);
            setColumn(cols.find((c) => /e-?mail/i.test(c)) ?? cols[0] ?? null);
          }}
        />
        {csv ? (
          <Select
            label={t('events.importColumn')}
            data={columns}
            value={column}
            allowDeselect={false}
            onChange={setColumn}
          />
        ) : null}
        <Group>
          <Button
            disabled={!csv || !column}
            loading={importCsv.isPending}
            onClick={() =>
              csv &&
              column &&
              importCsv.mutate(
                { csv, emailColumn: column },
                { onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }) },
              )
            }
          >
            {t('events.importRun')}
          </Button>
        </Group>
        {result ? (
          <Text role="status">
            {t('events.importResult', { rows: result.rows, marked: result.marked, unknown: result.unknown })}
          </Text>
        ) : null}
      </Stack>
    </Section>
  );
}
