import { useLayoutEffect, useRef } from 'react';
import { useT } from '../i18n/index.ts';
import { useToastStore, type Toast } from '../store/toasts.ts';

/**
 * Confirmations sit in a polite live region; errors are alerts and stay until dismissed.
 * (The page's one role=status is the status bar, so this region uses aria-live alone.)
 */
export function Toasts() {
  const toasts = useToastStore((s) => s.toasts);
  const ref = useRef<HTMLDivElement>(null);
  useReservedSpace(ref);
  return (
    <div className="toasts" ref={ref}>
      <div aria-live="polite" className="toast-stack">
        {toasts.filter((x) => x.kind !== 'error').map((toast) => (
          <ToastView key={toast.id} toast={toast} />
        ))}
      </div>
      <div className="toast-stack">
        {toasts.filter((x) => x.kind === 'error').map((toast) => (
          <ToastView key={toast.id} toast={toast} />
        ))}
      </div>
    </div>
  );
}

/**
 * The toasts' height, as --toasts-space on the page: the file pane keeps that much room below the
 * history's end, so the last entry (a void's reason) can always be read clear of them.
 */
function useReservedSpace(ref: React.RefObject<HTMLDivElement | null>): void {
  useLayoutEffect(() => {
    const element = ref.current;
    const root = document.documentElement;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => root.style.setProperty('--toasts-space', `${Math.ceil(element.getBoundingClientRect().height)}px`));
    observer.observe(element);
    return () => {
      observer.disconnect();
      root.style.removeProperty('--toasts-space');
    };
  }, [ref]);
}

function ToastView({ toast }: { toast: Toast }) {
  const t = useT();
  const dismiss = useToastStore((s) => s.dismiss);
  return (
    <div className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : undefined}>
      <span className="toast-text">{toast.text}</span>
      {toast.action && (
        <>
          <span aria-hidden="true" className="toast-sep">
            —
          </span>
          <button
            type="button"
            className="toast-action"
            onClick={() => {
              toast.action?.run();
              dismiss(toast.id);
            }}
          >
            {toast.action.label}
          </button>
        </>
      )}
      <button type="button" className="toast-close" aria-label={t.errors.dismiss} onClick={() => dismiss(toast.id)}>
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}
