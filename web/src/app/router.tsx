import { Navigate, Route, Routes } from 'react-router';
import { ApiKeysPage } from '../api-keys/api-keys-page.js';
import { AuditLogPage } from '../audit/audit-log-page.js';
import { LoginPage } from '../auth/login-page.js';
import { RequireSession } from '../auth/require-session.js';
import { CompaniesPage } from '../companies/companies-page.js';
import { CompanyPage } from '../companies/company-page.js';
import { PrivacyPage } from '../consent/privacy-page.js';
import { ContactsRoutes } from '../contacts/contacts-routes.js';
import { DashboardPage } from '../dashboard/dashboard-page.js';
import { EventsRoutes } from '../events/events-page.js';
import { FormBuilderPage } from '../forms/form-builder-page.js';
import { FormsPage } from '../forms/forms-page.js';
import { JobsPage } from '../jobs/jobs-page.js';
import { JourneysRoutes } from '../journeys/journeys-page.js';
import { MailRoutes } from '../mail/mail-routes.js';
import { MembersPage } from '../members/members-page.js';
import { SalesRoutes } from '../sales/sales-routes.js';
import { ScoringPage } from '../scoring/scoring-page.js';
import { AppLayout } from '../shell/app-layout.js';
import { ComingSoonPage } from '../shell/coming-soon-page.js';
import { UPCOMING_MODULES } from '../shell/modules.js';
import { NotFoundPage } from '../shell/not-found-page.js';
import { WorkspaceProvider } from '../workspace/current-workspace.js';
import { RequireWorkspace } from '../workspace/require-workspace.js';
import { WorkspaceSettingsPage } from '../workspace/workspace-settings-page.js';

/** Every page of the admin UI; paths are relative to /app/. */
export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireSession />}>
        <Route
          element={
            <WorkspaceProvider>
              <AppLayout />
            </WorkspaceProvider>
          }
        >
          <Route element={<RequireWorkspace />}>
            <Route index element={<DashboardPage />} />
            <Route path="emails/*" element={<MailRoutes />} />
            <Route path="forms" element={<FormsPage />} />
            <Route path="forms/:id" element={<FormBuilderPage />} />
            <Route path="contacts/*" element={<ContactsRoutes />} />
            <Route path="companies" element={<CompaniesPage />} />
            <Route path="companies/:id" element={<CompanyPage />} />
            {UPCOMING_MODULES.filter(
              (m) =>
                m.key !== 'emails' &&
                m.key !== 'forms' &&
                m.key !== 'privacy' &&
                m.key !== 'contacts' &&
                m.key !== 'companies' &&
                m.key !== 'journeys' &&
                m.key !== 'events' &&
                m.key !== 'leads',
            ).map((m) => (
              <Route key={m.key} path={m.path.slice(1)} element={<ComingSoonPage module={m.key} />} />
            ))}
            <Route path="scoring" element={<ScoringPage />} />
            <Route path="journeys/*" element={<JourneysRoutes />} />
            <Route path="events/*" element={<EventsRoutes />} />
            <Route path="leads/*" element={<SalesRoutes />} />
            <Route path="privacy" element={<PrivacyPage />} />
            <Route path="settings">
              <Route index element={<Navigate to="members" replace />} />
              <Route path="members" element={<MembersPage />} />
              <Route path="api-keys" element={<ApiKeysPage />} />
              <Route path="audit-log" element={<AuditLogPage />} />
              <Route path="jobs" element={<JobsPage />} />
              <Route path="workspace" element={<WorkspaceSettingsPage />} />
            </Route>
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}
