import { VisuallyHidden } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useLocation } from 'react-router';

/**
 * Screen readers do not notice that a single-page app changed its page; this reads out the new
 * page title (set by <Page>) after each navigation, but not on the first load.
 */
export function RouteAnnouncer() {
  const { pathname } = useLocation();
  const [message, setMessage] = useState('');
  const announcedPath = useRef(pathname);

  useEffect(() => {
    if (announcedPath.current === pathname) return;
    announcedPath.current = pathname;
    // The title is set by the new page's effect, which runs after this one.
    const timer = window.setTimeout(() => setMessage(document.title), 150);
    return () => window.clearTimeout(timer);
  }, [pathname]);

  return (
    <VisuallyHidden aria-live="polite" aria-atomic="true" data-testid="route-announcer">
      {message}
    </VisuallyHidden>
  );
}
