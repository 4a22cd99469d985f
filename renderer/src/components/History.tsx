import { useEffect, useRef } from 'react';
import type { Attempt } from '../../../contract/model.ts';
import { formatDateTime } from '../format.ts';
import { channelLabel, useT } from '../i18n/index.ts';
import { reasonName } from '../actions.ts';
import { reportError } from '../report.ts';
import { historyEntryId } from '../reveal.ts';
import { useFileStore } from '../store/file.ts';
import { useSettingsStore } from '../store/settings.ts';
import { useWorkspaceStore } from '../store/workspace.ts';
import { StatusBadge } from './StatusBadge.tsx';

/** Every attempt of the client, newest first; voided ones stay, struck through, with who and why. */
export function History() {
  const t = useT();
  const history = useFileStore((s) => s.history);
  const nextCursor = useFileStore((s) => s.nextCursor);
  const loadingMore = useFileStore((s) => s.loadingMore);
  const loading = useFileStore((s) => s.loading);
  const agentId = useSettingsStore((s) => s.settings?.agent?.id ?? null);
  const openDialog = useWorkspaceStore((s) => s.openDialog);
  const moreRef = useRef<HTMLButtonElement>(null);

  // Older pages load by themselves when the "more" button scrolls into view; the button stays for keyboards.
  useEffect(() => {
    const button = moreRef.current;
    if (!button || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) useFileStore.getState().loadMore().catch(reportError);
    });
    observer.observe(button);
    return () => observer.disconnect();
  }, [nextCursor]);

  return (
    <section className="history" aria-busy={loading}>
      <h3 id="history-heading">{t.history.label}</h3>
      {history.length === 0 && !loading && <p className="muted">{t.history.empty}</p>}
      <ol aria-labelledby="history-heading" className="history-list">
        {history.map((attempt) => (
          <HistoryEntry
            key={attempt.id}
            attempt={attempt}
            mine={attempt.agentId === agentId}
            onVoid={() => openDialog({ kind: 'void', attempt })}
          />
        ))}
      </ol>
      {nextCursor && (
        <button
          ref={moreRef}
          type="button"
          className="btn btn-quiet"
          aria-disabled={loadingMore}
          onClick={() => useFileStore.getState().loadMore().catch(reportError)}
        >
          {loadingMore ? t.history.loading : t.history.more}
        </button>
      )}
    </section>
  );
}

function HistoryEntry({ attempt, mine, onVoid }: { attempt: Attempt; mine: boolean; onVoid(): void }) {
  const t = useT();
  const voided = attempt.void;
  const body = (
    <>
      <span className="entry-line">
        <StatusBadge status={attempt.status} />
        <time dateTime={attempt.occurredAt} className="entry-time">
          {formatDateTime(t, attempt.occurredAt)}
        </time>
      </span>
      <span className="entry-line entry-meta">
        {t.history.by(attempt.agentName)} · {t.history.via(channelLabel(t, attempt.channel))}
        {attempt.reason !== null && <> · <span className="entry-reason">{t.history.reason(reasonName(attempt.reason))}</span></>}
      </span>
      {attempt.note && <span className="entry-note">{attempt.note}</span>}
    </>
  );
  return (
    <li id={historyEntryId(attempt.id)} className={voided ? 'entry is-voided' : 'entry'}>
      {voided ? <del className="entry-body">{body}</del> : <div className="entry-body">{body}</div>}
      {voided && (
        <p className="void-info">
          {voided.kind === 'undo'
            ? t.history.undoneBy(voided.agentName, formatDateTime(t, voided.at))
            : t.history.voidedBy(voided.agentName, formatDateTime(t, voided.at), voided.reason)}
        </p>
      )}
      {!voided && mine && (
        <button type="button" className="btn btn-link" onClick={onVoid}>
          {t.history.voidAction}
        </button>
      )}
    </li>
  );
}
