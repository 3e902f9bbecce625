import type { TFunction } from 'i18next';
import type { ComponentType } from 'react';
import type { ContactDetail } from './contacts-api.js';

// The shape of a contact page tab, apart from the list in contact-sections.tsx so that a section
// can import its props without importing the list that imports it.

export interface ContactSectionProps {
  detail: ContactDetail;
  /** The user may change contacts (admin, marketing, sales). */
  canWrite: boolean;
}

export interface ContactSection {
  id: string;
  label: (t: TFunction) => string;
  /** Lower comes first; built-in sections use 10, 20, 30 …, leave gaps for others. */
  order: number;
  Component: ComponentType<ContactSectionProps>;
}
