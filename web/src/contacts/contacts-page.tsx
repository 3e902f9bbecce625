import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  Paper,
  Popover,
  Select,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
  UnstyledButton,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import {
  IconArrowDown,
  IconArrowsSort,
  IconArrowUp,
  IconChevronLeft,
  IconChevronRight,
  IconColumns,
  IconDownload,
  IconPlus,
  IconSearch,
} from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useApi } from '../api/context.js';
import { useSignedInSession } from '../auth/session.js';
import { useMembers } from '../members/members-api.js';
import { type Segment, useSegments } from '../segments/segments-api.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, isEmail, messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import {
  BUILT_IN_COLUMNS,
  type BuiltInColumn,
  type ColumnId,
  exportColumnsOf,
  SORT_OF,
  useColumnChoice,
  valueOfColumn,
} from './columns.js';
import {
  type Contact,
  type CustomFieldDef,
  displayName,
  downloadContactsCsv,
  type Selection,
  type SortField,
  selectionOf,
  useAddToSegment,
  useBulkDelete,
  useBulkTag,
  useContactCount,
  useContactsPage,
  useCreateContact,
  useCustomFields,
} from './contacts-api.js';
import { ContactsTabs } from './contacts-tabs.js';
import { StageBadge } from './stage-badge.js';
import { useStageOptions } from './stage-names.js';

const PAGE_SIZE = 50;

/** Everyone but viewers and DPOs may change contacts. */
export function useCanWriteContacts(): boolean {
  const { role, canManage } = useCurrentWorkspace();
  return canManage || role === 'marketing' || role === 'sales';
}

interface Filters {
  stages: string[];
  owner: string | null;
  consentPurpose: string;
  consentStatus: string | null;
  segmentId: string | null;
  tags: string[];
}

const NO_FILTERS: Filters = {
  stages: [],
  owner: null,
  consentPurpose: 'newsletter',
  consentStatus: null,
  segmentId: null,
  tags: [],
};

/** The list's filter controls become one AND group of the segment definition language. */
function filterTree(f: Filters): unknown {
  const children: unknown[] = [];
  if (f.stages.length > 0)
    children.push({ kind: 'field', field: 'lifecycle_stage', operator: 'in', value: f.stages });
  if (f.owner === 'none') children.push({ kind: 'field', field: 'owner_user_id', operator: 'is_empty' });
  else if (f.owner) children.push({ kind: 'field', field: 'owner_user_id', operator: 'eq', value: f.owner });
  if (f.consentStatus && /^[a-z0-9][a-z0-9_.:-]{0,62}$/.test(f.consentPurpose))
    children.push({ kind: 'consent', purpose: f.consentPurpose, status: f.consentStatus });
  if (f.tags.length > 0)
    children.push({ kind: 'field', field: 'tags', operator: 'contains_any', value: f.tags });
  return children.length > 0 ? { kind: 'group', op: 'and', children } : null;
}

export function ContactsPage() {
  const { t } = useTranslation();
  const session = useSignedInSession();
  const { workspace } = useCurrentWorkspace();
  const canWrite = useCanWriteContacts();
  const [columns, setColumns] = useColumnChoice(session.user.id, workspace?.id ?? 'none');
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const [params] = useSearchParams();
  const [filters, setFilters] = useState<Filters>(() => ({
    ...NO_FILTERS,
    segmentId: params.get('segment'),
  }));
  const [debouncedFilters] = useDebouncedValue(filters, 300);
  const [sort, setSort] = useState<{ field: SortField; dir: 'asc' | 'desc' }>({
    field: 'created_at',
    dir: 'desc',
  });
  // Keyset paging: the cursors of the pages seen so far; "previous" pops one.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [creating, createModal] = useDisclosure(false);

  const filter = useMemo(() => filterTree(debouncedFilters), [debouncedFilters]);
  const base = { q, filter, segmentId: debouncedFilters.segmentId };
  const resetKey = JSON.stringify([base, sort]);
  const [lastResetKey, setLastResetKey] = useState(resetKey);
  if (lastResetKey !== resetKey) {
    setLastResetKey(resetKey);
    setCursors([null]);
    setSelected(new Set());
    setAllMatching(false);
  }

  const page = useContactsPage({
    ...base,
    sort: sort.field,
    dir: sort.dir,
    cursor: cursors[cursors.length - 1] ?? null,
    limit: PAGE_SIZE,
  });
  const listSelection = selectionOf(base);
  const count = useContactCount(listSelection);
  const defs = useCustomFields('contact');
  const items = page.data?.items ?? [];

  const onSort = (field: SortField) =>
    setSort((s) =>
      s.field === field
        ? { field, dir: s.dir === 'asc' ? 'desc' : 'asc' }
        : {
            field,
            dir:
              field === 'created_at' || field === 'updated_at' || field === 'quality_score' ? 'desc' : 'asc',
          },
    );

  const bulkSelection: Selection | null = allMatching
    ? listSelection.q || listSelection.filter || listSelection.segmentId
      ? listSelection
      : null
    : selected.size > 0
      ? { ids: [...selected] }
      : null;
  const bulkCount = allMatching ? (count.data ?? 0) : selected.size;

  return (
    <Page
      title={t('contacts.title')}
      description={t('contacts.description')}
      actions={
        canWrite ? (
          <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={createModal.open}>
            {t('contacts.create')}
          </Button>
        ) : null
      }
    >
      <ContactsTabs />
      <Paper p="md">
        <Stack gap="sm">
          <Group align="flex-end" gap="sm" wrap="wrap">
            <TextInput
              label={t('contacts.search')}
              description={t('contacts.searchHint')}
              leftSection={<IconSearch size={16} aria-hidden />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              type="search"
              maxLength={200}
              w={320}
            />
            <ColumnPicker columns={columns} onChange={setColumns} defs={defs.data ?? []} />
            <ExportButton selection={listSelection} columns={exportColumnsOf(columns, defs.data ?? [])} />
          </Group>
          <FilterBar filters={filters} onChange={setFilters} />
        </Stack>
      </Paper>

      {bulkSelection ? (
        <BulkBar
          selection={bulkSelection}
          columns={exportColumnsOf(columns, defs.data ?? [])}
          count={bulkCount}
          canWrite={canWrite}
          onDone={() => {
            setSelected(new Set());
            setAllMatching(false);
          }}
        />
      ) : null}

      {page.isPending ? (
        <Loading />
      ) : page.isError ? (
        <ErrorState error={page.error} onRetry={() => void page.refetch()} />
      ) : (
        <Paper p={0}>
          <Group justify="space-between" p="sm" wrap="wrap">
            <Text size="sm" aria-live="polite" data-testid="contacts-count">
              {count.data === undefined ? t('common.loading') : t('contacts.count', { count: count.data })}
            </Text>
            {items.length > 0 && selected.size === items.length && (count.data ?? 0) > items.length ? (
              <Checkbox
                label={t('contacts.selectAllMatching', { count: count.data ?? 0 })}
                checked={allMatching}
                onChange={(e) => setAllMatching(e.currentTarget.checked)}
              />
            ) : null}
          </Group>
          <ContactsTable
            items={items}
            columns={columns}
            defs={defs.data ?? []}
            sort={sort}
            onSort={onSort}
            selected={selected}
            onSelect={(next) => {
              setSelected(next);
              setAllMatching(false);
            }}
          />
          <Group justify="space-between" p="sm">
            <Text size="sm" c="dimmed">
              {t('contacts.pageNumber', { page: cursors.length })}
            </Text>
            <Group gap="xs">
              <Button
                variant="default"
                size="xs"
                leftSection={<IconChevronLeft size={16} aria-hidden />}
                disabled={cursors.length <= 1}
                onClick={() => setCursors((c) => c.slice(0, -1))}
              >
                {t('contacts.previousPage')}
              </Button>
              <Button
                variant="default"
                size="xs"
                rightSection={<IconChevronRight size={16} aria-hidden />}
                disabled={!page.data?.nextCursor || page.isPlaceholderData}
                onClick={() => {
                  const next = page.data?.nextCursor;
                  if (next) setCursors((c) => [...c, next]);
                }}
              >
                {t('contacts.nextPage')}
              </Button>
            </Group>
          </Group>
        </Paper>
      )}
      <CreateContactModal opened={creating} onClose={createModal.close} />
    </Page>
  );
}

function FilterBar({ filters, onChange }: { filters: Filters; onChange: (f: Filters) => void }) {
  const { t } = useTranslation();
  const stageOptions = useStageOptions();
  const members = useMembers();
  const segments = useSegments();
  const set = (patch: Partial<Filters>) => onChange({ ...filters, ...patch });
  return (
    <Group align="flex-end" gap="sm" wrap="wrap">
      <MultiSelect
        label={t('contacts.fields.lifecycleStage')}
        data={stageOptions}
        value={filters.stages}
        onChange={(stages) => set({ stages })}
        clearable
        w={220}
      />
      <Select
        label={t('contacts.fields.owner')}
        data={[
          { value: 'none', label: t('contacts.noOwner') },
          ...(members.data ?? []).map((m) => ({ value: m.userId, label: m.name || m.email })),
        ]}
        value={filters.owner}
        onChange={(owner) => set({ owner })}
        clearable
        searchable
        w={200}
      />
      <Select
        label={t('contacts.filterConsent')}
        data={['confirmed', 'pending', 'withdrawn', 'expired', 'none', 'not_confirmed'].map((s) => ({
          value: s,
          label: t(`segments.consentStates.${s}` as 'segments.consentStates.confirmed'),
        }))}
        value={filters.consentStatus}
        onChange={(consentStatus) => set({ consentStatus })}
        clearable
        w={180}
      />
      {filters.consentStatus ? (
        <TextInput
          label={t('contacts.consentPurpose')}
          value={filters.consentPurpose}
          onChange={(e) => set({ consentPurpose: e.currentTarget.value })}
          w={160}
        />
      ) : null}
      <Select
        label={t('contacts.filterSegment')}
        data={(segments.data ?? []).map((s: Segment) => ({ value: s.id, label: s.name }))}
        value={filters.segmentId}
        onChange={(segmentId) => set({ segmentId })}
        clearable
        searchable
        w={200}
      />
      <TagsInput
        label={t('contacts.fields.tags')}
        value={filters.tags}
        onChange={(tags) => set({ tags })}
        clearable
        w={220}
      />
    </Group>
  );
}

function columnLabel(t: TFunction, column: ColumnId, defs: CustomFieldDef[]) {
  if (column.startsWith('custom:'))
    return defs.find((d) => `custom:${d.key}` === column)?.label ?? column.slice(7);
  return t(`contacts.columns.${column as BuiltInColumn}`);
}

function ColumnPicker({
  columns,
  onChange,
  defs,
}: {
  columns: ColumnId[];
  onChange: (c: ColumnId[]) => void;
  defs: CustomFieldDef[];
}) {
  const { t } = useTranslation();
  const all: ColumnId[] = [...BUILT_IN_COLUMNS, ...defs.map((d) => `custom:${d.key}` as ColumnId)];
  // The shown columns first, in the user's order (which is the table's order), then the others.
  const shown = columns.filter((c) => all.includes(c));
  const rest = all.filter((c) => !shown.includes(c));
  const move = (i: number, by: -1 | 1) => {
    const next = [...shown];
    const [c] = next.splice(i, 1);
    next.splice(i + by, 0, c as ColumnId);
    onChange(next);
  };
  return (
    <Popover position="bottom-start" shadow="md" trapFocus>
      <Popover.Target>
        <Button variant="default" leftSection={<IconColumns size={18} aria-hidden />}>
          {t('contacts.chooseColumns')}
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack
          gap={4}
          role="group"
          aria-label={t('contacts.chooseColumns')}
          mah={420}
          style={{ overflowY: 'auto' }}
        >
          {[...shown, ...rest].map((c) => {
            const i = shown.indexOf(c);
            const label = columnLabel(t, c, defs);
            return (
              <Group key={c} gap={4} justify="space-between" wrap="nowrap">
                <Checkbox
                  label={label}
                  checked={i >= 0}
                  onChange={(e) => {
                    const next = e.currentTarget.checked ? [...shown, c] : shown.filter((x) => x !== c);
                    if (next.length > 0) onChange(next);
                  }}
                />
                {i >= 0 ? (
                  <Group gap={0} wrap="nowrap">
                    <ActionIcon
                      variant="subtle"
                      size="sm"
                      disabled={i === 0}
                      onClick={() => move(i, -1)}
                      aria-label={t('contacts.moveColumnLeft', { column: label })}
                    >
                      <IconArrowUp size={14} aria-hidden />
                    </ActionIcon>
                    <ActionIcon
                      variant="subtle"
                      size="sm"
                      disabled={i === shown.length - 1}
                      onClick={() => move(i, 1)}
                      aria-label={t('contacts.moveColumnRight', { column: label })}
                    >
                      <IconArrowDown size={14} aria-hidden />
                    </ActionIcon>
                  </Group>
                ) : null}
              </Group>
            );
          })}
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

function ExportButton({ selection, columns }: { selection: Selection; columns: string[] }) {
  const { t } = useTranslation();
  const api = useApi();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      variant="default"
      leftSection={<IconDownload size={18} aria-hidden />}
      loading={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await downloadContactsCsv(api, selection, columns);
        } catch (error) {
          notifications.show({ color: 'red', message: messageOf(error, t) });
        } finally {
          setBusy(false);
        }
      }}
    >
      {t('contacts.export')}
    </Button>
  );
}

function SortHeader({
  label,
  field,
  sort,
  onSort,
}: {
  label: string;
  field: SortField | undefined;
  sort: { field: SortField; dir: 'asc' | 'desc' };
  onSort: (f: SortField) => void;
}) {
  const { t } = useTranslation();
  if (!field)
    return (
      <Table.Th scope="col" style={{ whiteSpace: 'nowrap' }}>
        {label}
      </Table.Th>
    );
  const active = sort.field === field;
  const Icon = !active ? IconArrowsSort : sort.dir === 'asc' ? IconArrowUp : IconArrowDown;
  return (
    <Table.Th
      scope="col"
      aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
      style={{ whiteSpace: 'nowrap' }}
    >
      <UnstyledButton onClick={() => onSort(field)} fw={700} fz="sm">
        <Group gap={4} wrap="nowrap">
          {label}
          <Icon size={14} aria-hidden />
          <VisuallyHidden>{t('contacts.sortBy', { column: label })}</VisuallyHidden>
        </Group>
      </UnstyledButton>
    </Table.Th>
  );
}

function ContactsTable({
  items,
  columns,
  defs,
  sort,
  onSort,
  selected,
  onSelect,
}: {
  items: Contact[];
  columns: ColumnId[];
  defs: CustomFieldDef[];
  sort: { field: SortField; dir: 'asc' | 'desc' };
  onSort: (f: SortField) => void;
  selected: Set<string>;
  onSelect: (s: Set<string>) => void;
}) {
  const { t } = useTranslation();
  const members = useMembers();
  const owners = new Map((members.data ?? []).map((m) => [m.userId, m.name || m.email]));
  const allOnPage = items.length > 0 && items.every((c) => selected.has(c.id));
  if (items.length === 0)
    return (
      <Text c="dimmed" p="xl">
        {t('contacts.empty')}
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table highlightOnHover aria-label={t('contacts.title')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col" w={40}>
              <Checkbox
                aria-label={t('contacts.selectPage')}
                checked={allOnPage}
                indeterminate={!allOnPage && items.some((c) => selected.has(c.id))}
                onChange={(e) =>
                  onSelect(e.currentTarget.checked ? new Set(items.map((c) => c.id)) : new Set())
                }
              />
            </Table.Th>
            {columns.map((c) => (
              <SortHeader
                key={c}
                label={columnLabel(t, c, defs)}
                field={c.startsWith('custom:') ? undefined : SORT_OF[c as BuiltInColumn]}
                sort={sort}
                onSort={onSort}
              />
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>
                <Checkbox
                  aria-label={t('contacts.selectOne', { name: displayName(c) })}
                  checked={selected.has(c.id)}
                  onChange={(e) => {
                    const next = new Set(selected);
                    if (e.currentTarget.checked) next.add(c.id);
                    else next.delete(c.id);
                    onSelect(next);
                  }}
                />
              </Table.Td>
              {columns.map((col) => (
                <Table.Td key={col}>
                  <Cell contact={c} column={col} owners={owners} defs={defs} />
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function formatCustomValue(
  value: unknown,
  def: CustomFieldDef | undefined,
  fmt: ReturnType<typeof useFormatters>,
  t: TFunction,
): string {
  if (value === undefined || value === null || value === '') return '–';
  if (def?.type === 'boolean') return value ? t('contacts.yes') : t('contacts.no');
  if (def?.type === 'date' && typeof value === 'string') return fmt.date(value);
  if (def?.type === 'number' && typeof value === 'number') return fmt.number(value);
  const label = (v: unknown) => def?.options.find((o) => o.value === v)?.label ?? String(v);
  if (Array.isArray(value)) return value.map(label).join(', ');
  return label(value);
}

function Cell({
  contact,
  column,
  owners,
  defs,
}: {
  contact: Contact;
  column: ColumnId;
  owners: Map<string, string>;
  defs: CustomFieldDef[];
}) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  switch (column) {
    case 'name':
      return (
        <Anchor component={Link} to={`/contacts/${contact.id}`} fw={500}>
          {displayName(contact)}
        </Anchor>
      );
    case 'email':
      return <Text size="sm">{contact.email}</Text>;
    case 'lifecycle_stage':
      return <StageBadge stage={contact.lifecycleStage} />;
    case 'owner':
      return <>{contact.ownerUserId ? (owners.get(contact.ownerUserId) ?? '–') : '–'}</>;
    case 'tags':
      return (
        <Group gap={4}>
          {contact.tags.map((tag) => (
            <Badge key={tag} variant="outline" color="gray" size="sm" tt="none">
              {tag}
            </Badge>
          ))}
        </Group>
      );
    case 'quality_score':
      return <>{contact.qualityScore === null ? '–' : fmt.number(contact.qualityScore)}</>;
    case 'created_at':
      return <>{fmt.date(contact.createdAt)}</>;
    case 'updated_at':
      return <>{fmt.date(contact.updatedAt)}</>;
    default: {
      const value = valueOfColumn(contact, column);
      if (column.startsWith('custom:'))
        return (
          <>
            {formatCustomValue(
              value,
              defs.find((d) => `custom:${d.key}` === column),
              fmt,
              t,
            )}
          </>
        );
      return <>{value === null || value === undefined || value === '' ? '–' : String(value)}</>;
    }
  }
}

function BulkBar({
  selection,
  columns,
  count,
  canWrite,
  onDone,
}: {
  selection: Selection;
  columns: string[];
  count: number;
  canWrite: boolean;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const tag = useBulkTag();
  const del = useBulkDelete();
  const addToSegment = useAddToSegment();
  const segments = useSegments();
  const [tagging, tagModal] = useDisclosure(false);
  const [segmenting, segmentModal] = useDisclosure(false);
  const [deleting, deleteModal] = useDisclosure(false);
  const [tags, setTags] = useState<string[]>([]);
  const [segmentId, setSegmentId] = useState<string | null>(null);
  const api = useApi();
  const [exporting, setExporting] = useState(false);
  const done = (message: string) => {
    notifications.show({ color: 'brand', message });
    onDone();
  };
  const failed = (error: unknown) => notifications.show({ color: 'red', message: messageOf(error, t) });
  return (
    <Paper p="sm" withBorder role="region" aria-label={t('contacts.bulk.label')}>
      <Group gap="sm">
        <Text size="sm" fw={600}>
          {t('contacts.bulk.selected', { count })}
        </Text>
        <Button
          size="xs"
          variant="default"
          loading={exporting}
          leftSection={<IconDownload size={14} aria-hidden />}
          onClick={async () => {
            setExporting(true);
            try {
              await downloadContactsCsv(api, selection, columns);
            } catch (error) {
              failed(error);
            } finally {
              setExporting(false);
            }
          }}
        >
          {t('contacts.bulk.export')}
        </Button>
        {canWrite ? (
          <>
            <Button size="xs" variant="default" onClick={tagModal.open}>
              {t('contacts.bulk.tag')}
            </Button>
            <Button size="xs" variant="default" onClick={segmentModal.open}>
              {t('contacts.bulk.addToSegment')}
            </Button>
            <Button size="xs" color="red" onClick={deleteModal.open}>
              {t('contacts.bulk.delete')}
            </Button>
          </>
        ) : null}
      </Group>
      <Modal opened={tagging} onClose={tagModal.close} title={t('contacts.bulk.tag')}>
        <Stack>
          <TagsInput label={t('contacts.fields.tags')} value={tags} onChange={setTags} data-autofocus />
          <Group justify="flex-end">
            <Button variant="default" onClick={tagModal.close}>
              {t('common.cancel')}
            </Button>
            <Button
              disabled={tags.length === 0}
              loading={tag.isPending}
              onClick={() =>
                tag.mutate(
                  { selection, add: tags },
                  {
                    onSuccess: (r) => {
                      tagModal.close();
                      setTags([]);
                      done(t('contacts.bulk.tagged', { count: r.count }));
                    },
                    onError: failed,
                  },
                )
              }
            >
              {t('contacts.bulk.tagSubmit')}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={segmenting} onClose={segmentModal.close} title={t('contacts.bulk.addToSegment')}>
        <Stack>
          <Select
            label={t('contacts.filterSegment')}
            data={(segments.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            value={segmentId}
            onChange={setSegmentId}
            searchable
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={segmentModal.close}>
              {t('common.cancel')}
            </Button>
            <Button
              disabled={!segmentId}
              loading={addToSegment.isPending}
              onClick={() =>
                segmentId &&
                addToSegment.mutate(
                  { segmentId, selection },
                  {
                    onSuccess: (r) => {
                      segmentModal.close();
                      done(t('contacts.bulk.added', { count: r.count }));
                    },
                    onError: failed,
                  },
                )
              }
            >
              {t('contacts.bulk.addSubmit')}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <ConfirmDialog
        opened={deleting}
        title={t('contacts.bulk.deleteTitle', { count })}
        text={t('contacts.bulk.deleteText', { count })}
        confirmLabel={t('contacts.bulk.deleteConfirm', { count })}
        loading={del.isPending}
        onClose={deleteModal.close}
        onConfirm={() =>
          del.mutate(
            { selection, expectedCount: count },
            {
              onSuccess: (r) => {
                deleteModal.close();
                done(t('contacts.bulk.deleted', { count: r.count }));
              },
              onError: (e) => {
                deleteModal.close();
                failed(e);
              },
            },
          )
        }
      />
    </Paper>
  );
}

function CreateContactModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const create = useCreateContact();
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [companyName, setCompanyName] = useState('');
  const errors = fieldErrorsOf(create.error, t);
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    create.mutate(
      {
        email: email.trim(),
        firstName: firstName.trim() || null,
        lastName: lastName.trim() || null,
        companyName: companyName.trim() || null,
      },
      {
        onSuccess: ({ contact }) => {
          onClose();
          navigate(`/contacts/${contact.id}`);
        },
      },
    );
  };
  return (
    <Modal opened={opened} onClose={onClose} title={t('contacts.create')}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label={t('contacts.fields.email')}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            required
            error={errors.email ?? (email && !isEmail(email) ? t('errors.fieldInvalid') : undefined)}
            data-autofocus
          />
          <TextInput
            label={t('contacts.fields.firstName')}
            value={firstName}
            onChange={(e) => setFirstName(e.currentTarget.value)}
          />
          <TextInput
            label={t('contacts.fields.lastName')}
            value={lastName}
            onChange={(e) => setLastName(e.currentTarget.value)}
          />
          <TextInput
            label={t('contacts.fields.companyName')}
            value={companyName}
            onChange={(e) => setCompanyName(e.currentTarget.value)}
          />
          {create.isError && !Object.keys(errors).length ? (
            <Alert color="red" role="alert">
              {messageOf(create.error, t)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('contacts.createSubmit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
