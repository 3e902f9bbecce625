import { Button, type ButtonProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** The part of an infinite query a "Load more" button needs. */
interface PagedQuery {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
}

/** "Load more" for a paged list; renders nothing once the last page is loaded. */
export function LoadMoreButton({
  query,
  ...props
}: { query: PagedQuery } & Omit<ButtonProps, 'onClick' | 'loading' | 'children'>) {
  const { t } = useTranslation();
  if (!query.hasNextPage) return null;
  return (
    <Button
      variant="default"
      {...props}
      onClick={() => void query.fetchNextPage()}
      loading={query.isFetchingNextPage}
    >
      {t('common.loadMore')}
    </Button>
  );
}
