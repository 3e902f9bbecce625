import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

/* Types and react-query hooks for /api/v1/events. */

export interface EventSummary {
  id: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  location: string | null;
  onlineUrl: string | null;
  capacity: number | null;
  formId: string | null;
  reminderMinutes: number[];
  sequence: number;
  status: 'scheduled' | 'cancelled';
  registered: number;
  waitlisted: number;
  attended: number;
}

export interface Registration {
  id: string;
  contactId: string;
  email: string;
  name: string;
  status: 'registered' | 'waitlisted' | 'cancelled';
  registeredAt: string;
  attendedAt: string | null;
  attendedVia: string | null;
  source: string | null;
  checkinUrl: string;
}

export interface EventInput {
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  location: string | null;
  onlineUrl: string | null;
  capacity: number | null;
  formId: string | null;
  reminderMinutes: number[];
}

/** `2026-05-12T16:00` read in `zone` → an ISO instant (DST-aware, luxon). */
export function toInstant(local: string, zone: string): string | null {
  const d = DateTime.fromISO(local, { zone });
  return d.isValid ? d.toUTC().toISO() : null;
}

/** An instant → `2026-05-12T16:00` as read in `zone` (for a datetime-local input). */
export function toLocalInput(instant: string, zone: string): string {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm");
}

export function useEvents() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('events'),
    queryFn: async () => (await api.get<{ items: EventSummary[] }>('/api/v1/events')).items,
  });
}

export function useEvent(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('events', id),
    queryFn: () =>
      api.get<{ event: EventSummary; registrations: Registration[] }>(
        `/api/v1/events/${encodeURIComponent(id)}`,
      ),
  });
}

function useInvalidateEvents() {
  const qc = useQueryClient();
  const key = useWorkspaceKey('events');
  return () => qc.invalidateQueries({ queryKey: key });
}

export function useSaveEvent(id?: string) {
  const api = useApi();
  const invalidate = useInvalidateEvents();
  return useMutation({
    mutationFn: (body: EventInput) =>
      id
        ? api.patch<{ event: EventSummary }>(`/api/v1/events/${encodeURIComponent(id)}`, body)
        : api.post<{ event: EventSummary }>('/api/v1/events', body),
    onSuccess: invalidate,
  });
}

export function useMarkAttended(eventId: string) {
  const api = useApi();
  const invalidate = useInvalidateEvents();
  return useMutation({
    mutationFn: (contactIds: string[]) =>
      api.post<{ marked: number }>(`/api/v1/events/${encodeURIComponent(eventId)}/attendance`, {
        contactIds,
      }),
    onSuccess: invalidate,
  });
}

export function useCancelRegistration(eventId: string) {
  const api = useApi();
  const invalidate = useInvalidateEvents();
  return useMutation({
    mutationFn: (registrationId: string) =>
      api.post<{ cancelled: string; promoted: string | null }>(
        `/api/v1/events/${encodeURIComponent(eventId)}/registrations/${encodeURIComponent(registrationId)}/cancel`,
      ),
    onSuccess: invalidate,
  });
}

/** Calls the event off; `notify`: everyone registered or waiting gets a notice. */
export function useCancelEvent(eventId: string) {
  const api = useApi();
  const invalidate = useInvalidateEvents();
  return useMutation({
    mutationFn: (notify: boolean) =>
      api.post<{ event: EventSummary; notified: number }>(
        `/api/v1/events/${encodeURIComponent(eventId)}/cancel`,
        {
          notify,
        },
      ),
    onSuccess: invalidate,
  });
}

export function useImportAttendance(eventId: string) {
  const api = useApi();
  const invalidate = useInvalidateEvents();
  return useMutation({
    mutationFn: (body: { csv: string; emailColumn: string }) =>
      api.post<{ rows: number; marked: number; unknown: number }>(
        `/api/v1/events/${encodeURIComponent(eventId)}/attendance/csv`,
        body,
      ),
    onSuccess: invalidate,
  });
}

/** The columns of a CSV's header line (the delimiter the server also accepts: , ; or tab). */
export function csvColumns(csv: string): string[] {
  const first = csv.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [';', '\t', ','].reduce((best, d) =>
    first.split(d).length > first.split(best).length ? d : best,
  );
  return first
    .split(delimiter)
    .map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}
