import { useRef, useState } from 'react';
import { callbackTimes, type CallbackQuickChoice } from '../../../contract/model.ts';
import { scheduleCallback } from '../callbacks.ts';
import { messageOf } from '../desk.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { Modal } from '../components/Modal.tsx';

/** 'YYYY-MM-DDTHH:mm' of a local time, as a datetime-local field reads and writes it. */
function localInputValue(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/**
 * "Rappeler…": a quick choice schedules at once, no confirmation; a date and time needs its field
 * and the button. For me, or for the whole team.
 */
export function CallbackDialog({ clientCode, clientName, onClose }: { clientCode: string; clientName: string; onClose(): void }) {
  const t = useT();
  const locale = useLocale();
  const w = t.callbacks;
  const [forTeam, setForTeam] = useState(false);
  const [at, setAt] = useState(() => localInputValue(new Date(Date.now() + 2 * 3600_000)));
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const firstRef = useRef<HTMLButtonElement>(null);
  const now = new Date();
  const afternoonOffered = now.getHours() * 60 + now.getMinutes() <= callbackTimes.afternoonUntilMinutes;

  async function schedule(when: CallbackQuickChoice | { at: string }) {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    try {
      await scheduleCallback({ clientCode, clientName, when, forTeam });
      onClose();
    } catch (error) {
      setFailure(messageOf(error, locale));
      setBusy(false);
    }
  }

  const quick: { choice: CallbackQuickChoice; label: string }[] = [
    { choice: 'in1h', label: w.in1h },
    ...(afternoonOffered ? [{ choice: 'afternoon' as const, label: w.afternoon }] : []),
    { choice: 'tomorrowMorning', label: w.tomorrowMorning },
  ];
  return (
    <Modal title={w.title(clientName)} onClose={onClose} initialFocus={firstRef}>
      <fieldset className="callback-for">
        <legend>{w.forWhom}</legend>
        <label>
          <input type="radio" name="callback-for" checked={!forTeam} onChange={() => setForTeam(false)} /> {w.forMe}
        </label>
        <label>
          <input type="radio" name="callback-for" checked={forTeam} onChange={() => setForTeam(true)} /> {w.forTeam}
        </label>
      </fieldset>
      <div className="callback-quick" role="group" aria-label={w.quick}>
        {quick.map((q, index) => (
          <button key={q.choice} ref={index === 0 ? firstRef : undefined} type="button" className="btn" aria-disabled={busy} onClick={() => void schedule(q.choice)}>
            {q.label}
          </button>
        ))}
      </div>
      <form
        className="callback-at"
        onSubmit={(e) => {
          e.preventDefault();
          const date = new Date(at);
          if (Number.isNaN(date.getTime())) setFailure(w.badDate);
          else void schedule({ at: date.toISOString() });
        }}
      >
        <label htmlFor="callback-at">{w.at}</label>
        <input id="callback-at" type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} required />
        <button type="submit" className="btn btn-primary" aria-disabled={busy}>
          {w.schedule}
        </button>
      </form>
      {failure && (
        <p className="field-error" role="alert">
          {failure}
        </p>
      )}
    </Modal>
  );
}
