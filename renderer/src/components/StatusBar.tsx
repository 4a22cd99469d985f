import { reasonName } from '../actions.ts';
import { useT } from '../i18n/index.ts';
import { useNow } from '../store/clock.ts';
import { useSettingsStore } from '../store/settings.ts';
import { useSyncStore } from '../store/sync.ts';
import { useTodayStore } from '../store/today.ts';
import { useWorkspaceStore } from '../store/workspace.ts';
import { syncPhaseText } from '../syncText.ts';

export function StatusBar() {
  const t = useT();
  const now = useNow();
  const counts = useTodayStore((s) => s.counts);
  const sync = useSyncStore((s) => s.state);
  const agent = useSettingsStore((s) => s.settings?.agent ?? null);
  const openDialog = useWorkspaceStore((s) => s.openDialog);
  const syncOn = sync !== null && sync.phase !== 'disabled';

  return (
    <footer className="statusbar">
      <div role="status" aria-live="polite" className="statusbar-status">
        {counts && <span className="today">{t.statusBar.today(counts.attempts, counts.successes, counts.failures)}</span>}
        {counts && counts.byReason.length > 0 && (
          <span className="today-reasons">
            {' · '}
            {t.statusBar.reasons(counts.byReason.map((r) => `${reasonName(r.code)} ${r.count}`).join(', '))}
          </span>
        )}
        {sync && (
          <span className={syncOn ? `sync sync-${sync.phase}` : 'sync sync-disabled'}>
            <span className="sync-dot" aria-hidden="true" />
            {syncPhaseText(t, sync, now)}
            {syncOn && sync.pending > 0 && <span> · {t.statusBar.sync.pending(sync.pending)}</span>}
            {syncOn && sync.waitingFor && sync.waitingFor.length > 0 && (
              <span className="sync-waiting"> · {t.statusBar.sync.waiting(sync.waitingFor.map((w) => `${w.agentName} (${w.pending})`).join(', '))}</span>
            )}
          </span>
        )}
      </div>
      {sync && sync.deadLetters > 0 && (
        <button type="button" className="btn btn-link dead-letters" onClick={() => openDialog({ kind: 'settings', section: 'sync' })}>
          <span aria-hidden="true">⚠ </span>
          {t.statusBar.sync.dead(sync.deadLetters)}
        </button>
      )}
      {agent && <span className="statusbar-agent">{t.statusBar.agent(agent.name)}</span>}
    </footer>
  );
}
