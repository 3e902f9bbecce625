import { Route, Routes } from 'react-router';
import { NotFoundPage } from '../shell/not-found-page.js';
import { DomainsPage } from './domains-page.js';
import { MessagesPage } from './messages-page.js';
import { OutboxPage } from './outbox-page.js';
import { MailSettingsPage } from './settings-page.js';
import { SuppressionsPage } from './suppressions-page.js';
import { TemplateEditorPage } from './template-editor-page.js';
import { TemplatesPage } from './templates-page.js';

/** Everything under /emails. */
export function MailRoutes() {
  return (
    <Routes>
      <Route index element={<TemplatesPage />} />
      <Route path="templates/:id" element={<TemplateEditorPage />} />
      <Route path="messages" element={<MessagesPage />} />
      <Route path="outbox" element={<OutboxPage />} />
      <Route path="outbox/:id" element={<OutboxPage />} />
      <Route path="suppressions" element={<SuppressionsPage />} />
      <Route path="domains" element={<DomainsPage />} />
      <Route path="settings" element={<MailSettingsPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
