import { useEffect, useState } from 'react';
import { ClientFile } from './components/ClientFile.tsx';
import { ClientList } from './components/ClientList.tsx';
import { LockScreen, SignInGate } from './components/SignIn.tsx';
import { Onboarding } from './components/Onboarding.tsx';
import { useFileStore } from './store/file.ts';
import { StatusBar } from './components/StatusBar.tsx';
import { Toasts } from './components/Toasts.tsx';
import { ExportDialog } from './dialogs/ExportDialog.tsx';
import { ImportDialog } from './dialogs/ImportDialog.tsx';
import { SettingsDialog } from './dialogs/SettingsDialog.tsx';
import { ShortcutsDialog } from './dialogs/ShortcutsDialog.tsx';
import { VoidDialog } from './dialogs/VoidDialog.tsx';
import { CallbackDialog } from './dialogs/CallbackDialog.tsx';
import { CallbacksDialog } from './dialogs/CallbacksDialog.tsx';
import { watchCallbacks } from './callbacks.ts';
import { nextClientNow } from './actions.ts';
import { useCallbacksStore } from './store/callbacks.ts';
import { StorageProblem } from './components/StorageProblem.tsx';
import { ClockSkew } from './components/ClockSkew.tsx';
import type { StorageState } from '../../contract/model.ts';
import { call, messageOf } from './desk.ts';
import { useDeskEvents, useDocumentLanguage, useGlobalShortcuts } from './hooks.ts';
import { defaultLocale, useT } from './i18n/index.ts';
import { dictionaryOf } from './i18n/index.ts';
import { reportError, runReported } from './report.ts';
import { startClock } from './store/clock.ts';
import { useSearchStore } from './store/search.ts';
import { useSessionStore } from './store/session.ts';
import { useSettingsStore } from './store/settings.ts';
import { useIdleLock } from './idle-lock.ts';
import { useSyncStore } from './store/sync.ts';
import { useTodayStore } from './store/today.ts';
import { useWorkspaceStore } from './store/workspace.ts';

export function App() {
  const settings = useSettingsStore((s) => s.settings);
  const session = useSessionStore((s) => s.session);
  const [failure, setFailure] = useState<string | null>(null);
  const [storage, setStorage] = useState<StorageState | null>(null);
  useDocumentLanguage();
  useDeskEvents();

  useEffect(() => startClock(), []);
  useEffect(() => {
    // A base that could not be opened is said first: nothing else can be read from it.
    call('getStorageState', {})
      .then((state) => {
        if (state.problem) return setStorage(state);
        return Promise.all([useSettingsStore.getState().load(), useSessionStore.getState().load()])
          .then(([loaded]) => {
            if (!useWorkspaceStore.getState().note) useWorkspaceStore.getState().setChannel(loaded.lastChannel);
          });
      })
      .catch((error: unknown) => setFailure(messageOf(error, defaultLocale)));
  }, []);

  if (storage?.problem) return <StorageProblem state={storage} />;

  if (failure) {
    return (
      <main className="fatal" role="alert">
        <h1>{dictionaryOf(defaultLocale).errors.title}</h1>
        <p>{failure}</p>
        <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
          {dictionaryOf(defaultLocale).errors.reload}
        </button>
      </main>
    );
  }
  if (!settings || !session) return <Loading />;
  if (!settings.agent || session.locked) {
    return (
      <>
        {settings.agent ? <LockScreen /> : <SignInGate />}
        <Toasts />
      </>
    );
  }
  return <Workspace />;
}

function Loading() {
  const t = useT();
  return (
    <main className="loading" aria-busy="true">
      <p>{t.app.loading}</p>
    </main>
  );
}

function Workspace() {
  const t = useT();
  const dialog = useWorkspaceStore((s) => s.dialog);
  const openDialog = useWorkspaceStore((s) => s.openDialog);
  const clientCount = useSettingsStore((s) => s.settings?.clientCount ?? 0);
  const fileOpen = useFileStore((s) => s.code !== null);
  useGlobalShortcuts();
  useIdleLock();

  useEffect(() => {
    useSearchStore.getState().run().catch(reportError);
    useTodayStore.getState().refresh().catch(reportError);
    useSyncStore.getState().load().catch(reportError);
  }, []);
  useEffect(() => watchCallbacks(), []);

  return (
    <>
      <div className="shell" inert={dialog !== null}>
        <header className="topbar">
          <h1 className="app-title">{t.app.title}</h1>
          <div className="toolbar" role="toolbar" aria-label={t.app.toolbar}>
            <button type="button" className="btn btn-quiet" onClick={() => openDialog({ kind: 'import' })}>
              {t.app.importClients}
            </button>
            <button type="button" className="btn btn-quiet" onClick={() => openDialog({ kind: 'export' })}>
              {t.app.exportHistory}
            </button>
            <button type="button" className="btn" aria-keyshortcuts="Alt+N" onClick={() => runReported(nextClientNow)}>
              {t.queue.next} <kbd aria-hidden="true">Alt+N</kbd>
            </button>
            <button type="button" className="btn btn-quiet" aria-keyshortcuts="Alt+R" onClick={() => openDialog({ kind: 'callbacks' })}>
              {t.callbacks.worklist} <CallbackCount /> <kbd aria-hidden="true">Alt+R</kbd>
            </button>
            <button type="button" className="btn btn-quiet" onClick={() => openDialog({ kind: 'settings' })}>
              {t.app.settings}
            </button>
            <button type="button" className="btn btn-quiet" aria-keyshortcuts="Control+Shift+L" onClick={() => runReported(() => useSessionStore.getState().signOut())}>
              {t.app.switchAgent}
            </button>
            <button type="button" className="btn btn-quiet" aria-keyshortcuts="?" onClick={() => openDialog({ kind: 'shortcuts' })}>
              {t.app.shortcuts} <kbd aria-hidden="true">?</kbd>
            </button>
          </div>
        </header>
        <ClockSkew />
        {/* Under a narrow width (200 % zoom) one pane shows at a time: the file when one is open (or the onboarding). */}
        <div className={fileOpen || clientCount === 0 ? 'panes shows-file' : 'panes shows-list'}>
          <nav className="pane-list" aria-label={t.app.clientsNav}>
            <ClientList />
          </nav>
          <main className="pane-file">{clientCount === 0 ? <Onboarding /> : <ClientFile />}</main>
        </div>
        <StatusBar />
      </div>
      <Toasts />
      <DialogHost />
    </>
  );
}

function DialogHost() {
  const dialog = useWorkspaceStore((s) => s.dialog);
  const close = useWorkspaceStore((s) => s.closeDialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'shortcuts':
      return <ShortcutsDialog onClose={close} />;
    case 'settings':
      return <SettingsDialog onClose={close} {...(dialog.section ? { section: dialog.section } : {})} />;
    case 'import':
      return <ImportDialog onClose={close} />;
    case 'export':
      return <ExportDialog onClose={close} />;
    case 'void':
      return <VoidDialog attempt={dialog.attempt} onClose={close} />;
    case 'callback':
      return <CallbackDialog clientCode={dialog.clientCode} clientName={dialog.clientName} onClose={close} />;
    case 'callbacks':
      return <CallbacksDialog onClose={close} />;
  }
}

/** How many call-backs are due now or overdue: said beside the worklist's name. */
function CallbackCount() {
  const count = useCallbacksStore((s) => (s.list ? s.list.dueNow.length + s.list.overdue.length : 0));
  return count > 0 ? <span className="badge">{count}</span> : null;
}
