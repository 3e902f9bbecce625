import { ScoreSection } from '../scoring/score-section.js';
import type { ContactSection } from './contact-section.js';
import { MergesSection } from './merges-section.js';
import { ProfileSection } from './profile-section.js';
import { ConsentsSection, QualitySection } from './quality-section.js';
import { TimelineSection } from './timeline-section.js';

/*
 * The tabs of the contact page. Another module (scoring, sales, events …) adds its own tab by
 * appending one entry here: an id (also the ?tab= value), a translated label, an order and a
 * component that gets the loaded contact. See docs/ui.md ("Contact page sections").
 */

export const CONTACT_SECTIONS: ContactSection[] = [
  { id: 'profile', label: (t) => t('contacts.sections.profile'), order: 10, Component: ProfileSection },
  { id: 'timeline', label: (t) => t('contacts.sections.timeline'), order: 20, Component: TimelineSection },
  { id: 'score', label: (t) => t('contacts.sections.score'), order: 25, Component: ScoreSection },
  { id: 'quality', label: (t) => t('contacts.sections.quality'), order: 30, Component: QualitySection },
  { id: 'consents', label: (t) => t('contacts.sections.consents'), order: 40, Component: ConsentsSection },
  { id: 'duplicates', label: (t) => t('contacts.sections.duplicates'), order: 50, Component: MergesSection },
];
