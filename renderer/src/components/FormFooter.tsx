// The end of every dialog form: the error the last try gave, then Cancel and the form's action.

export interface FormFooterProps {
  failure: string | null;
  cancelLabel: string;
  submitLabel: string;
  busy: boolean;
  /** 'danger' for an action that takes something back (voiding an attempt). */
  tone?: 'primary' | 'danger';
  onCancel: () => void;
}

export function FormFooter({ failure, cancelLabel, submitLabel, busy, tone = 'primary', onCancel }: FormFooterProps) {
  return (
    <>
      {failure && (
        <p className="field-error" role="alert">
          {failure}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onCancel}>
          {cancelLabel}
        </button>
        <button type="submit" className={`btn btn-${tone}`} aria-disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </>
  );
}
