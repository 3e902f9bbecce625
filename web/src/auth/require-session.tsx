import { Center } from '@mantine/core';
import { Navigate, Outlet, useLocation } from 'react-router';
import { ErrorState } from '../ui/error-state.js';
import { Loading } from '../ui/loading.js';
import { useSession } from './session.js';

/** Shows its child routes to signed-in users and sends everyone else to the login page. */
export function RequireSession() {
  const { data: session, isPending, isError, error, refetch } = useSession();
  const location = useLocation();

  if (isPending) return <Loading minHeight="100dvh" />;
  if (isError) {
    return (
      <Center mih="100dvh" p="md">
        <main>
          <ErrorState error={error} onRetry={() => void refetch()} />
        </main>
      </Center>
    );
  }
  if (!session) {
    const from = `${location.pathname}${location.search}`;
    return <Navigate to="/login" replace state={from === '/' ? undefined : { from }} />;
  }
  return <Outlet />;
}
