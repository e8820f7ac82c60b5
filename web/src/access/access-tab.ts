import type { ReactNode } from 'react';
import type { MessageKey } from '../i18n/i18n.tsx';

/** One tab of the access section: its path under /access, its title, and what it shows for a path at or below it. */
export interface AccessTab {
  path: string;
  title: MessageKey;
  /** Rendered for the tab's own path and any path below it (`/access/systems/<id>`); `rest` is what follows. */
  render: (rest: string) => ReactNode;
}
