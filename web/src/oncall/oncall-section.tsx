import { Link, usePath } from '../app/router.tsx';
import { useI18n, type MessageKey } from '../i18n/i18n.tsx';
import { ChannelsPage } from './channels-page.tsx';
import { ContactsPage } from './contacts-page.tsx';
import { EscalationPage } from './escalation-page.tsx';
import { OncallPage } from './oncall-page.tsx';
import './paging.css';

const TABS: { path: string; title: MessageKey }[] = [
  { path: '/oncall', title: 'oncall.tab.schedules' },
  { path: '/oncall/escalation', title: 'oncall.tab.escalation' },
  { path: '/oncall/channels', title: 'oncall.tab.channels' },
  { path: '/oncall/contacts', title: 'oncall.tab.contacts' },
];

/** /oncall and its sub-pages: schedules, escalation policies, notification channels and contact details. */
export function OncallSection() {
  const { t } = useI18n();
  const path = usePath().replace(/\/+$/, '');
  const current = TABS.find((tab) => tab.path === path)?.path ?? '/oncall';
  return (
    <>
      <nav className="subnav" aria-label={t('oncall.tab.label')}>
        <ul>
          {TABS.map((tab) => (
            <li key={tab.path}>
              <Link to={tab.path} aria-current={tab.path === current ? 'page' : undefined}>
                {t(tab.title)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {current === '/oncall/escalation' ? <EscalationPage /> : null}
      {current === '/oncall/channels' ? <ChannelsPage /> : null}
      {current === '/oncall/contacts' ? <ContactsPage /> : null}
      {current === '/oncall' ? <OncallPage /> : null}
    </>
  );
}
