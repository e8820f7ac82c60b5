import { Component, lazy, Suspense, type ComponentType, type LazyExoticComponent, type ReactNode } from 'react';
import { useI18n } from '../i18n/i18n.tsx';

/**
 * A page's code, fetched the first time the page is opened (each console section is a chunk of its own, so the
 * status page and the sign-in screen do not download every section of the console).
 */
export function lazyPage<K extends string>(
  load: () => Promise<Record<K, ComponentType>>,
  name: K,
): LazyExoticComponent<ComponentType> {
  return lazy(async () => ({ default: (await load())[name] }));
}

/**
 * What browsers say when a chunk cannot be fetched: Chromium "Failed to fetch dynamically imported module",
 * Firefox "error loading dynamically imported module", Safari "Importing a module script failed"; Vite's own
 * preload helper "Unable to preload CSS".
 */
const CHUNK_FAILED = /dynamically imported module|importing a module script failed|unable to preload css/i;

/** A chunk that cannot be fetched: usually Skjold was upgraded while this tab was open and the old files are gone. */
function isChunkLoadError(err: unknown): boolean {
  return err instanceof Error && CHUNK_FAILED.test(err.message);
}

function PageFailed({ error }: { error: unknown }) {
  const { t } = useI18n();
  const chunk = isChunkLoadError(error);
  return (
    <div className="alert alert-error" role="alert" data-testid="page-failed">
      <div className="alert-body">
        <strong>{t(chunk ? 'app.updated' : 'app.pageFailed')}</strong>
        {chunk ? null : <span className="alert-detail">{error instanceof Error ? error.message : String(error)}</span>}
      </div>
      <button type="button" className="btn btn-small" onClick={() => window.location.reload()}>
        {t('app.reload')}
      </button>
    </div>
  );
}

function PageLoading() {
  const { t } = useI18n();
  return (
    <p className="muted centered" aria-live="polite">
      {t('app.loading')}
    </p>
  );
}

interface BoundaryState {
  error: unknown;
}

/**
 * Shows one page, while its code loads and when it fails: a page that throws shows what went wrong with a reload
 * button in place of the page, and the header and menu stay usable. Give it a `key` per page, so moving to another
 * page starts afresh.
 */
export class PageBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  override state: BoundaryState = { error: undefined };

  static getDerivedStateFromError(error: unknown): BoundaryState {
    return { error: error ?? new Error('unknown error') };
  }

  override render(): ReactNode {
    if (this.state.error !== undefined) return <PageFailed error={this.state.error} />;
    return <Suspense fallback={<PageLoading />}>{this.props.children}</Suspense>;
  }
}
