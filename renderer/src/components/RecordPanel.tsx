import { knownChannels } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';
import { isStorableText, unstorableCharacter } from '../../../contract/text.ts';
import { chooseChannel, recordAttempt } from '../actions.ts';
import { channelLabel, useT } from '../i18n/index.ts';
import { runReported } from '../report.ts';
import { ReasonPicker } from './ReasonPicker.tsx';
import { useWorkspaceStore } from '../store/workspace.ts';

/**
 * One click records: result, channel and optional note; the app fills in agent, date and client.
 * The buttons are named by their text alone: icon and shortcut hint are aria-hidden, so the
 * accessible name is exactly "Notifier (Succès)" and contains all the words one can read on it.
 */
export function RecordPanel() {
  const t = useT();
  const channel = useWorkspaceStore((s) => s.channel);
  const note = useWorkspaceStore((s) => s.note);
  const busy = useWorkspaceStore((s) => s.busy);
  const setNote = useWorkspaceStore((s) => s.setNote);
  // Said as the agent pastes, before the click: the same rule refuses it at every entry.
  const noteProblem = isStorableText(note) ? null : unstorableCharacter(note);
  // A channel remembered from elsewhere (free text) stays choosable next to the usual five.
  const channels: string[] = (knownChannels as readonly string[]).includes(channel) ? [...knownChannels] : [...knownChannels, channel];

  return (
    <section className="record-panel" aria-labelledby="record-heading">
      <h3 id="record-heading">{t.record.heading}</h3>
      <fieldset className="channels">
        <legend>{t.record.channel}</legend>
        {channels.map((value, index) => (
          <label key={value} className={value === channel ? 'channel is-checked' : 'channel'}>
            <input type="radio" name="channel" value={value} checked={value === channel} onChange={() => chooseChannel(value)} />
            <span>{channelLabel(t, value)}</span>
            {index < 5 && (
              <kbd aria-hidden="true" className="key-hint">
                {index + 1}
              </kbd>
            )}
          </label>
        ))}
      </fieldset>

      <ReasonPicker />

      <div className="note-field">
        <label htmlFor="attempt-note">{t.record.note}</label>
        <textarea
          id="attempt-note"
          rows={2}
          maxLength={limits.note}
          placeholder={t.record.notePlaceholder}
          value={note}
          aria-invalid={noteProblem !== null}
          aria-describedby={noteProblem ? 'attempt-note-error' : undefined}
          onChange={(e) => setNote(e.target.value)}
        />
        {noteProblem && (
          <p id="attempt-note-error" className="field-error" role="alert">
            {t.record.noteUnstorable(noteProblem)}
          </p>
        )}
      </div>

      <div className="record-buttons">
        <button
          type="button"
          className="btn btn-record btn-success"
          aria-keyshortcuts="Alt+S"
          aria-disabled={busy}
          onClick={() => !busy && runReported(() => recordAttempt('success'))}
        >
          <span aria-hidden="true" className="btn-icon">
            ✓
          </span>
          <span>{t.record.success}</span>
          <kbd aria-hidden="true">Alt+S</kbd>
        </button>
        <button
          type="button"
          className="btn btn-record btn-failure"
          aria-keyshortcuts="Alt+E"
          aria-disabled={busy}
          onClick={() => !busy && runReported(() => recordAttempt('failure'))}
        >
          <span aria-hidden="true" className="btn-icon">
            ✕
          </span>
          <span>{t.record.failure}</span>
          <kbd aria-hidden="true">Alt+E</kbd>
        </button>
      </div>
    </section>
  );
}
