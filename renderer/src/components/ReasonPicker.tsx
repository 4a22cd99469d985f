import type { ReasonDefinition } from '../../../contract/reasons.ts';
import { pickReason, reasonGroupId } from '../actions.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { runReported } from '../report.ts';
import { useFileStore } from '../store/file.ts';
import { useSettingsStore } from '../store/settings.ts';
import { useWorkspaceStore } from '../store/workspace.ts';

/**
 * The "Motif" group: never required. Before the click its radios keep a reason for the next
 * attempt; within the undo window of the open client's last attempt its buttons give that attempt
 * its reason at once (buttons, not radios: an arrow key must not record a reason on the way).
 */
export function ReasonPicker() {
  const t = useT();
  const locale = useLocale();
  const reasons = useSettingsStore((s) => s.settings?.reasons ?? []);
  const picked = useWorkspaceStore((s) => s.reason);
  const undo = useWorkspaceStore((s) => s.undo);
  const fileCode = useFileStore((s) => s.code);
  const busy = useWorkspaceStore((s) => s.busy);
  if (reasons.length === 0) return null;
  const after = undo !== null && undo.clientCode === fileCode;
  const hintId = `${reasonGroupId}-hint`;

  if (after) {
    const fitting = reasons.filter((r) => r.status === undo.status);
    const given = undo.reason;
    return (
      <fieldset id={reasonGroupId} className="reasons is-after" aria-describedby={hintId}>
        <legend>{t.record.reason}</legend>
        <p id={hintId} className="muted reason-hint">
          {t.record.reasonAfter(t.status[undo.status], undo.clientName)} <kbd aria-hidden="true">Alt+M</kbd>
        </p>
        <div className="reason-choices">
          {fitting.map((r) => (
            <button
              key={r.code}
              type="button"
              className={r.code === given ? 'btn btn-quiet reason is-checked' : 'btn btn-quiet reason'}
              aria-pressed={r.code === given}
              aria-disabled={given !== null || busy}
              onClick={() => given === null && !busy && runReported(() => pickReason(r.code))}
            >
              {r.label[locale]}
            </button>
          ))}
        </div>
      </fieldset>
    );
  }

  const choice = (value: string | null, label: string, reason?: ReasonDefinition) => (
    <label key={value ?? ''} className={value === picked ? 'reason is-checked' : 'reason'} data-status={reason?.status}>
      <input type="radio" name="reason" value={value ?? ''} checked={value === picked} onChange={() => runReported(() => pickReason(value))} />
      <span>{label}</span>
    </label>
  );
  return (
    <fieldset id={reasonGroupId} className="reasons" aria-describedby={hintId}>
      <legend>{t.record.reason}</legend>
      <p id={hintId} className="muted reason-hint">
        {t.record.reasonOptional} <kbd aria-hidden="true">Alt+M</kbd>
      </p>
      <div className="reason-choices">
        {choice(null, t.record.reasonNone)}
        {reasons.map((r) => choice(r.code, `${r.label[locale]}`, r))}
      </div>
    </fieldset>
  );
}
