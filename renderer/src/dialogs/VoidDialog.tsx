import { useRef, useState } from 'react';
import type { Attempt } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';
import { voidAttempt } from '../actions.ts';
import { messageOf } from '../desk.ts';
import { formatDateTime } from '../format.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { Modal } from '../components/Modal.tsx';
import { FormFooter } from '../components/FormFooter.tsx';
import { revealAfterChange } from '../reveal.ts';

/** Voiding keeps the attempt in the history, struck through: the reason is what makes it auditable. */
export function VoidDialog({ attempt, onClose }: { attempt: Attempt; onClose(): void }) {
  const t = useT();
  const locale = useLocale();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reasonRef = useRef<HTMLTextAreaElement>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    const text = reason.trim();
    if (!text) {
      setMissing(true);
      reasonRef.current?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      await voidAttempt(attempt.id, text);
      onClose();
      // The entry's "Annuler la tentative…" button is gone: focus goes to the client's name, kept in
      // view, with the voided entry shown clear of the confirmation.
      setTimeout(() => revealAfterChange(attempt.id), 0);
    } catch (error) {
      setFailure(messageOf(error, locale));
      setBusy(false);
    }
  }

  const describedBy = ['void-summary', missing ? 'void-reason-error' : ''].filter(Boolean).join(' ');
  return (
    <Modal title={t.voidDialog.title} onClose={onClose} initialFocus={reasonRef}>
      <form onSubmit={submit} noValidate>
        <p id="void-summary">{t.voidDialog.summary(t.status[attempt.status], formatDateTime(t, attempt.occurredAt))}</p>
        <label htmlFor="void-reason">{t.voidDialog.reason}</label>
        <textarea
          id="void-reason"
          ref={reasonRef}
          rows={3}
          required
          aria-required="true"
          aria-invalid={missing}
          aria-describedby={describedBy}
          maxLength={limits.reason}
          value={reason}
          onChange={(e) => {
            setReason(e.target.value);
            if (e.target.value.trim()) setMissing(false);
          }}
        />
        {missing && (
          <p id="void-reason-error" className="field-error" role="alert">
            {t.voidDialog.reasonRequired}
          </p>
        )}
        <FormFooter failure={failure} cancelLabel={t.voidDialog.cancel} submitLabel={t.voidDialog.confirm} busy={busy} tone="danger" onCancel={onClose} />
      </form>
    </Modal>
  );
}
