import { useEffect, useRef } from 'react';
import type { CallbackItem, CallbackList } from '../../../contract/model.ts';
import { cancelCallback } from '../callbacks.ts';
import { openClient } from '../actions.ts';
import { formatDateTime } from '../format.ts';
import { useT } from '../i18n/index.ts';
import { reportError, runReported } from '../report.ts';
import { Modal } from '../components/Modal.tsx';
import { useCallbacksStore } from '../store/callbacks.ts';

/** The worklist "À rappeler" (Alt+R): due now, overdue, later today, later; Enter on one opens its client. */
export function CallbacksDialog({ onClose }: { onClose(): void }) {
  const t = useT();
  const w = t.callbacks;
  const list = useCallbacksStore((s) => s.list);
  const firstRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    useCallbacksStore.getState().load().catch(reportError);
  }, []);

  const groups: { key: keyof Omit<CallbackList, 'handoverMinutes'>; title: string }[] = [
    { key: 'dueNow', title: w.dueNow },
    { key: 'overdue', title: w.overdue },
    { key: 'laterToday', title: w.laterToday },
    { key: 'later', title: w.later },
  ];
  let first = true;
  const entry = (item: CallbackItem) => {
    const ref = first ? firstRef : undefined;
    first = false;
    return (
      <li key={item.callbackId} className="callback-entry">
        <button
          ref={ref}
          type="button"
          className="btn btn-link"
          onClick={() => {
            openClient(item.clientCode);
            onClose();
          }}
        >
          {item.clientName} <span className="mono">{item.clientCode}</span>
        </button>
        <span className="callback-meta">
          {formatDateTime(t, item.dueAt)} · {item.forAgentId === null ? w.team : item.handedOver ? w.handedOver(item.scheduledBy) : w.mine}
        </span>
        <button type="button" className="btn btn-quiet" onClick={() => runReported(() => cancelCallback(item))}>
          {w.cancel}
        </button>
      </li>
    );
  };
  return (
    <Modal title={w.worklist} onClose={onClose} initialFocus={firstRef} wide>
      {list === null ? (
        <p aria-busy="true">{t.app.loading}</p>
      ) : (
        groups.map((g) => (
          <section key={g.key} aria-labelledby={`callbacks-${g.key}`} className="callback-group">
            <h3 id={`callbacks-${g.key}`}>
              {g.title} ({list[g.key].length})
            </h3>
            {list[g.key].length === 0 ? <p className="muted">{w.none}</p> : <ul className="callback-list">{list[g.key].map(entry)}</ul>}
          </section>
        ))
      )}
    </Modal>
  );
}
