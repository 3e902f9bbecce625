import { Route, Routes } from 'react-router';
import { ImportsPage } from '../imports/imports-page.js';
import { SegmentEditorPage } from '../segments/segment-editor-page.js';
import { SegmentsPage } from '../segments/segments-page.js';
import { NotFoundPage } from '../shell/not-found-page.js';
import { ContactPage } from './contact-page.js';
import { ContactsPage } from './contacts-page.js';
import { CustomFieldsPage } from './custom-fields-page.js';
import { DuplicatesPage } from './duplicates-page.js';

/** Everything under /contacts. */
export function ContactsRoutes() {
  return (
    <Routes>
      <Route index element={<ContactsPage />} />
      <Route path="segments" element={<SegmentsPage />} />
      <Route path="segments/new" element={<SegmentEditorPage />} />
      <Route path="segments/:id" element={<SegmentEditorPage />} />
      <Route path="imports" element={<ImportsPage />} />
      <Route path="fields" element={<CustomFieldsPage />} />
      <Route path="duplicates" element={<DuplicatesPage />} />
      <Route path=":id" element={<ContactPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
