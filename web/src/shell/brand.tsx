import { IconArrowUpRight } from '@tabler/icons-react';
import classes from './shell.module.css';

/** The product mark: a petrol square with an arrow, the lead moving up the funnel. */
export function BrandMark({ size = 30 }: { size?: number }) {
  return (
    <span className={classes.brandMark} style={{ width: size, height: size }} aria-hidden>
      <IconArrowUpRight size={size * 0.62} stroke={2.4} />
    </span>
  );
}
