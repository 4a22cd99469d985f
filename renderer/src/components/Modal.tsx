import { useEffect, useId, useRef, type ReactNode } from 'react';

const focusableSelector =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * What Tab reaches, in order. A radio group is one stop, its checked radio (as browsers tab), so the
 * first focus lands on the choice in force, not on the first choice ("Français" in English).
 */
function focusablesIn(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(focusableSelector)).filter((el) => {
    if (el.closest('[inert]')) return false;
    if (!(el instanceof HTMLInputElement) || el.type !== 'radio' || !el.name || el.checked) return true;
    const group = Array.from(root.querySelectorAll<HTMLInputElement>('input[type="radio"]')).filter((r) => r.name === el.name);
    return !group.some((r) => r.checked) && group[0] === el;
  });
}

/** Where focus goes when the element that opened a dialog is gone (a voided entry's button, the onboarding). */
function fallbackFocus(): HTMLElement | null {
  return document.getElementById('client-search');
}

interface ModalProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Wider dialogs for tables (import report, dead letters). */
  wide?: boolean;
  /** Element to focus first; otherwise the first field or button. */
  initialFocus?: React.RefObject<HTMLElement | null>;
}

/**
 * A modal dialog: focus moves in, Tab cycles inside, Escape closes, focus returns where it was.
 * The app behind it is made inert by App while a dialog is open.
 */
export function Modal({ title, onClose, children, wide = false, initialFocus }: ModalProps) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = ref.current;
    if (root) (initialFocus?.current ?? focusablesIn(root)[0] ?? root).focus();
    // Escape closes even when focus has fallen out of the dialog (to the page, behind the backdrop).
    const onDocumentKeyDown = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || ref.current?.contains(e.target as Node)) return;
      e.preventDefault();
      onCloseRef.current();
    };
    document.addEventListener('keydown', onDocumentKeyDown);
    return () => {
      document.removeEventListener('keydown', onDocumentKeyDown);
      if (previous?.isConnected) previous.focus();
      else fallbackFocus()?.focus();
    };
  }, []); // focus once, when the dialog opens

  function onKeyDown(e: React.KeyboardEvent<HTMLDivElement>) {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCloseRef.current();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = focusablesIn(ref.current);
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) {
      e.preventDefault();
      return;
    }
    if (e.shiftKey && (document.activeElement === first || document.activeElement === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return (
    <div className="modal-backdrop">
      <div
        ref={ref}
        className={wide ? 'modal modal-wide' : 'modal'}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className="modal-title">
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}
