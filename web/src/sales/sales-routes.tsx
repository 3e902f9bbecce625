import { Route, Routes } from 'react-router';
import { NotFoundPage } from '../shell/not-found-page.js';
import { SalesReportsPage } from './reports-page.js';
import { SalesInboxPage } from './sales-inbox-page.js';
import { SalesSettingsPage } from './sales-settings-page.js';
import { TeamPage } from './team-page.js';
import { TerritoriesPage } from './territories-page.js';

/** Everything under /leads: the sales inbox and the hand-off setup. */
export function SalesRoutes() {
  return (
    <Routes>
      <Route index element={<SalesInboxPage />} />
      <Route path="team" element={<TeamPage />} />
      <Route path="territories" element={<TerritoriesPage />} />
      <Route path="settings" element={<SalesSettingsPage />} />
      <Route path="reports" element={<SalesReportsPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
