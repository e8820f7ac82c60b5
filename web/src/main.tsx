import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { lazyPage, PageBoundary } from './app/page-boundary.tsx';
import { I18nProvider } from './i18n/i18n.tsx';
import './styles/base.css';
import './styles/console.css';

// The public status page and the console are chunks of their own: a customer reading the status page downloads
// none of the console.
const App = lazyPage(() => import('./app/app.tsx'), 'App');
const StatusPage = lazyPage(() => import('./status/status-page.tsx'), 'StatusPage');

/** `/status` (with or without a trailing slash) is the public status page. */
function isStatusPath(path: string): boolean {
  return path === '/status' || path === '/status/';
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <I18nProvider>
      {/* The public status page renders on its own: no session probe, no console shell. */}
      <PageBoundary>{isStatusPath(window.location.pathname) ? <StatusPage /> : <App />}</PageBoundary>
    </I18nProvider>
  </StrictMode>,
);
