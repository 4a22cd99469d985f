// What the window shows instead of the desk when its base could not be opened at start (missing,
// damaged, from a newer version): the cause in words, and the two ways out. The settings (and so
// the agent's language) live in that base, so the default language leads and English follows.

import { useRef, useState } from 'react';
import type { StorageState } from '../../../contract/model.ts';
import { call, messageOf } from '../desk.ts';
import { formatDateTime } from '../format.ts';
import { defaultLocale, dictionaryOf } from '../i18n/index.ts';

export function StorageProblem({ state }: { state: StorageState }) {
  const t = dictionaryOf(defaultLocale);
  const en = dictionaryOf('en');
  const problem = state.problem;
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  if (!problem) return null;
  const latest = state.backups[0];

  async function run(operation: 'restoreLatestBackup' | 'startEmptyBase') {
    setBusy(true);
    setFailure(null);
    try {
      await call(operation, {});
      // Everything is read again from the base now open.
      window.location.reload();
    } catch (error) {
      setFailure(messageOf(error, defaultLocale));
      setBusy(false);
    }
  }

  return (
    <main className="fatal storage-problem">
      <div className="card" role="alertdialog" aria-labelledby="storage-problem-title" aria-describedby="storage-problem-message">
        <h1 id="storage-problem-title" ref={heading} tabIndex={-1}>
          {t.storage[problem.kind]}
        </h1>
        <p id="storage-problem-message">{problem.message[defaultLocale]}</p>
        <p lang="en" className="secondary">
          {en.storage[problem.kind]}: {problem.message.en}
        </p>
        <p>{latest ? t.storage.latestBackup(formatDateTime(t, latest.takenAt)) : t.storage.noBackup}</p>
        <p className="secondary">{t.storage.keptAside}</p>
        <div className="onboarding-actions">
          <button type="button" className="btn btn-primary" disabled={busy || !latest} onClick={() => void run('restoreLatestBackup')}>
            {t.storage.restore}
          </button>
          <button type="button" className="btn" disabled={busy} onClick={() => void run('startEmptyBase')}>
            {t.storage.startEmpty}
          </button>
        </div>
        {busy && <p aria-live="polite">{t.storage.working}</p>}
        {failure && <p role="alert">{failure}</p>}
        <details>
          <summary>{t.storage.details}</summary>
          <code>{problem.details}</code>
        </details>
      </div>
    </main>
  );
}
