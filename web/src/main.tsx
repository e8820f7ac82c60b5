import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app.tsx';
import { I18nProvider } from './i18n/i18n.tsx';
import { StatusPage } from './status/status-page.tsx';
import './styles/base.css';
import './styles/console.css';

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
      {isStatusPath(window.location.pathname) ? <StatusPage /> : <App />}
    </I18nProvider>
  </StrictMode>,
);
