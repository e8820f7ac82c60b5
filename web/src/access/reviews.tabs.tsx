import type { AccessTab } from './access-tab.ts';
import { CampaignPage } from './reviews/campaign-page.tsx';
import { CampaignsPage } from './reviews/campaigns-page.tsx';
import { MyReviewsPage } from './reviews/my-reviews-page.tsx';
import { PoliciesPage } from './reviews/policies-page.tsx';

/** The access console's reviews tabs, in menu order. */
export const REVIEWS_TABS: AccessTab[] = [
  {
    path: '/access/reviews',
    title: 'access.reviews.tab.campaigns',
    render: (rest) => (rest ? <CampaignPage key={rest} id={rest} /> : <CampaignsPage />),
  },
  { path: '/access/my-reviews', title: 'access.reviews.tab.mine', render: () => <MyReviewsPage /> },
  { path: '/access/review-policies', title: 'access.reviews.tab.policies', render: () => <PoliciesPage /> },
];
