import type { Tone } from '../../app/ui.tsx';
import type { Grant } from './people.api.ts';

/** The badge colour of a grant's state (the grants list and a grant's page). */
export const STATE_TONE: Record<Grant['state'], Tone> = {
  pending: 'info',
  active: 'ok',
  expired: 'neutral',
  revoked: 'neutral',
  rejected: 'neutral',
};
