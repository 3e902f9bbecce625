import {
  IconBriefcase,
  IconBuildingSkyscraper,
  IconCalendarEvent,
  IconChartBar,
  IconForms,
  IconGauge,
  IconHistory,
  IconInbox,
  IconKey,
  IconLayoutDashboard,
  IconMail,
  IconRoute,
  IconSettings,
  IconShieldLock,
  IconStack2,
  IconUsers,
  IconUsersGroup,
} from '@tabler/icons-react';
import type { ComponentType } from 'react';

export type NavKey =
  | 'dashboard'
  | 'contacts'
  | 'companies'
  | 'forms'
  | 'emails'
  | 'journeys'
  | 'events'
  | 'leads'
  | 'scoring'
  | 'reports'
  | 'privacy'
  | 'members'
  | 'apiKeys'
  | 'auditLog'
  | 'jobs'
  | 'workspace';

/** Modules that are planned but not built yet; each gets a "coming soon" page. */
export type UpcomingModule =
  | 'contacts'
  | 'companies'
  | 'forms'
  | 'emails'
  | 'journeys'
  | 'events'
  | 'leads'
  | 'reports'
  | 'privacy';

export interface NavItem {
  key: NavKey;
  path: string;
  icon: ComponentType<{ size?: number | string; stroke?: number; 'aria-hidden'?: boolean }>;
}

export interface NavSection {
  id: string;
  label?:
    | 'nav.sectionRelationships'
    | 'nav.sectionMarketing'
    | 'nav.sectionSales'
    | 'nav.sectionInsights'
    | 'nav.settings';
  items: NavItem[];
}

export const UPCOMING_MODULES: { key: UpcomingModule; path: string; icon: NavItem['icon'] }[] = [
  { key: 'contacts', path: '/contacts', icon: IconUsers },
  { key: 'companies', path: '/companies', icon: IconBuildingSkyscraper },
  { key: 'forms', path: '/forms', icon: IconForms },
  { key: 'emails', path: '/emails', icon: IconMail },
  { key: 'journeys', path: '/journeys', icon: IconRoute },
  { key: 'events', path: '/events', icon: IconCalendarEvent },
  { key: 'leads', path: '/leads', icon: IconInbox },
  { key: 'reports', path: '/reports', icon: IconChartBar },
  { key: 'privacy', path: '/privacy', icon: IconShieldLock },
];

function upcoming(key: UpcomingModule): NavItem {
  const module = UPCOMING_MODULES.find((m) => m.key === key);
  if (!module) throw new Error(`unknown module ${key}`);
  return module;
}

export const NAV_SECTIONS: NavSection[] = [
  { id: 'home', items: [{ key: 'dashboard', path: '/', icon: IconLayoutDashboard }] },
  {
    id: 'relationships',
    label: 'nav.sectionRelationships',
    items: [upcoming('contacts'), upcoming('companies')],
  },
  {
    id: 'marketing',
    label: 'nav.sectionMarketing',
    items: [
      upcoming('forms'),
      upcoming('emails'),
      upcoming('journeys'),
      upcoming('events'),
      { key: 'scoring', path: '/scoring', icon: IconGauge },
    ],
  },
  { id: 'sales', label: 'nav.sectionSales', items: [upcoming('leads')] },
  { id: 'insights', label: 'nav.sectionInsights', items: [upcoming('reports'), upcoming('privacy')] },
  {
    id: 'settings',
    label: 'nav.settings',
    items: [
      { key: 'members', path: '/settings/members', icon: IconUsersGroup },
      { key: 'apiKeys', path: '/settings/api-keys', icon: IconKey },
      { key: 'auditLog', path: '/settings/audit-log', icon: IconHistory },
      { key: 'jobs', path: '/settings/jobs', icon: IconStack2 },
      { key: 'workspace', path: '/settings/workspace', icon: IconBriefcase },
    ],
  },
];

export const SETTINGS_ICON = IconSettings;
