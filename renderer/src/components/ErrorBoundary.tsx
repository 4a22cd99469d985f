import { Component, type ErrorInfo, type ReactNode } from 'react';
import { currentT } from '../i18n/index.ts';

interface State {
  failed: boolean;
}

/** A rendering bug must never leave the agent in front of a blank window. */
export class ErrorBoundary extends Component<{ children: ReactNode; onReload?: () => void }, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('[renderer] display error', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    const t = currentT();
    const reload = this.props.onReload ?? (() => window.location.reload());
    return (
      <main className="fatal" role="alert">
        <h1>{t.errors.title}</h1>
        <p>{t.errors.body}</p>
        <button type="button" className="btn btn-primary" onClick={reload}>
          {t.errors.reload}
        </button>
      </main>
    );
  }
}
