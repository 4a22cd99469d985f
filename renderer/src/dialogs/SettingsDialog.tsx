import { useEffect, useRef, useState } from 'react';
import type { Locale } from '../../../contract/errors.ts';
import type { DeadLetter, SyncSettingsView } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';
import { Modal } from '../components/Modal.tsx';
import { call, messageOf } from '../desk.ts';
import { formatDateTime } from '../format.ts';
import { dictionaryOf, useLocale, useT } from '../i18n/index.ts';
import { useNow } from '../store/clock.ts';
import { useSessionStore } from '../store/session.ts';
import { useSettingsStore } from '../store/settings.ts';
import { useSyncStore } from '../store/sync.ts';
import { useToastStore } from '../store/toasts.ts';
import { syncPhaseText } from '../syncText.ts';

export function SettingsDialog({ onClose, section }: { onClose(): void; section?: 'sync' }) {
  const t = useT();
  const syncRef = useRef<HTMLElement>(null);
  useEffect(() => {
    if (section === 'sync') syncRef.current?.scrollIntoView?.({ block: 'start' });
  }, [section]);
  return (
    <Modal title={t.settingsDialog.title} onClose={onClose} wide>
      <GeneralSettings />
      <SyncSettings sectionRef={syncRef} />
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose}>
          {t.settingsDialog.close}
        </button>
      </div>
    </Modal>
  );
}

function GeneralSettings() {
  const t = useT();
  const locale = useLocale();
  const settings = useSettingsStore((s) => s.settings);
  const update = useSettingsStore((s) => s.update);
  const [language, setLanguage] = useState<Locale>(locale);
  const [agentName, setAgentName] = useState(settings?.agent?.name ?? '');
  // On a desk enrolled with a device code the agent's name is the server's: shown, not edited here.
  const serverAgents = useSessionStore((s) => s.session?.server !== undefined);
  const [singleKeys, setSingleKeys] = useState(settings?.singleKeyShortcuts ?? true);
  const [autoAdvance, setAutoAdvance] = useState(settings?.autoAdvance ?? false);
  const lockAfterMinutes = useSessionStore((s) => s.session?.lockAfterMinutes);
  const [lockAfter, setLockAfter] = useState(lockAfterMinutes === undefined ? '' : String(lockAfterMinutes));
  const [failure, setFailure] = useState<string | null>(null);
  // What the site's policy fixes is shown, greyed, with who fixed it; main refuses changes anyway.
  const locked = settings?.lockedByPolicy ?? [];
  const lockedLanguage = locked.includes('locale');
  const lockedSingleKeys = locked.includes('singleKeyShortcuts');
  const lockedLockAfter = locked.includes('lockAfterMinutes');

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setFailure(null);
    const name = agentName.trim();
    // Empty keeps the delay in force; what is out of range is refused by the contract's schema.
    const minutes = lockAfter.trim() === '' || lockedLockAfter ? undefined : Number(lockAfter.trim());
    try {
      const saved = await update({
        locale: language,
        singleKeyShortcuts: singleKeys,
        autoAdvance,
        ...(name && !serverAgents ? { agentName: name } : {}),
        ...(minutes !== undefined ? { lockAfterMinutes: minutes } : {}),
      });
      // The idle lock reads the session's delay.
      if (minutes !== undefined) await useSessionStore.getState().load();
      useToastStore.getState().push({ kind: 'success', text: dictionaryOf(saved.locale).settingsDialog.saved });
    } catch (error) {
      setFailure(messageOf(error, locale));
    }
  }

  return (
    <form className="settings-section" onSubmit={save} aria-labelledby="settings-general" noValidate>
      <h3 id="settings-general">{t.settingsDialog.general}</h3>
      <fieldset className="inline-choices" disabled={lockedLanguage} aria-describedby={lockedLanguage ? 'settings-language-locked' : undefined}>
        <legend>{t.settingsDialog.language}</legend>
        {lockedLanguage && (
          <span id="settings-language-locked" className="muted">
            {t.settingsDialog.lockedByPolicy}
          </span>
        )}
        {(['fr', 'en'] as const).map((value) => (
          <label key={value} className="checkbox" lang={value}>
            <input type="radio" name="language" value={value} checked={language === value} onChange={() => setLanguage(value)} />
            {t.settingsDialog.languages[value]}
          </label>
        ))}
      </fieldset>
      <label htmlFor="settings-agent">{t.settingsDialog.agentName}</label>
      <input id="settings-agent" maxLength={limits.agentName} value={agentName} readOnly={serverAgents} onChange={(e) => setAgentName(e.target.value)} />
      <label className="checkbox">
        <input type="checkbox" checked={singleKeys} disabled={lockedSingleKeys} onChange={(e) => setSingleKeys(e.target.checked)} />
        {t.settingsDialog.singleKeys}
        {lockedSingleKeys && <span className="muted"> · {t.settingsDialog.lockedByPolicy}</span>}
      </label>
      <div className="inline-field">
        <label htmlFor="settings-lock-after">{t.settingsDialog.lockAfter.before}</label>{' '}
        <input
          id="settings-lock-after"
          type="number"
          inputMode="numeric"
          min={0}
          max={limits.lockAfterMinutesMax}
          step={1}
          size={5}
          value={lockAfter}
          disabled={lockedLockAfter}
          aria-describedby="settings-lock-after-hint"
          onChange={(e) => setLockAfter(e.target.value)}
        />{' '}
        <span id="settings-lock-after-hint">
          {t.settingsDialog.lockAfter.after} <span className="muted">({t.settingsDialog.lockAfter.hint})</span>
          {lockedLockAfter && <span className="muted"> · {t.settingsDialog.lockedByPolicy}</span>}
        </span>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={autoAdvance} onChange={(e) => setAutoAdvance(e.target.checked)} />
        {t.settingsDialog.autoAdvance}
      </label>
      {failure && (
        <p className="field-error" role="alert">
          {failure}
        </p>
      )}
      <button type="submit" className="btn btn-primary">
        {t.settingsDialog.save}
      </button>
    </form>
  );
}

function SyncSettings({ sectionRef }: { sectionRef: React.RefObject<HTMLElement | null> }) {
  const t = useT();
  const s = t.settingsDialog.sync;
  const locale = useLocale();
  const now = useNow();
  const state = useSyncStore((x) => x.state);
  const lockedServer = useSettingsStore((x) => x.settings?.lockedByPolicy?.includes('serverUrl') ?? false);
  const [view, setView] = useState<SyncSettingsView | null>(null);
  const [serverUrl, setServerUrl] = useState('');
  const [token, setToken] = useState('');
  const [enrolmentCode, setEnrolmentCode] = useState('');
  const [deadLetters, setDeadLetters] = useState<DeadLetter[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function reload() {
    const [settings, dead] = await Promise.all([call('getSyncSettings', {}), call('listDeadLetters', {})]);
    setView(settings);
    setServerUrl(settings.serverUrl ?? '');
    setDeadLetters(dead);
  }

  useEffect(() => {
    reload().catch((error: unknown) => setFailure(messageOf(error, locale)));
  }, []); // read once when the dialog opens

  async function run(action: () => Promise<void>) {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    try {
      await action();
    } catch (error) {
      setFailure(messageOf(error, locale));
    } finally {
      setBusy(false);
    }
  }

  const save = (e: React.FormEvent) => {
    e.preventDefault();
    const url = serverUrl.trim();
    if (url && !/^https?:\/\//i.test(url)) {
      setFailure(s.urlInvalid);
      return;
    }
    void run(async () => {
      const saved = await call('updateSyncSettings', {
        serverUrl: url || null,
        ...(token.trim() ? { token: token.trim() } : {}),
        ...(enrolmentCode.trim() ? { enrolmentCode: enrolmentCode.trim() } : {}),
      });
      setView(saved);
      setToken('');
      setEnrolmentCode('');
      useToastStore.getState().push({ kind: 'success', text: s.saved });
      await useSyncStore.getState().load();
    });
  };

  const syncNow = () =>
    run(async () => {
      useSyncStore.getState().set(await call('syncNow', {}));
      setDeadLetters(await call('listDeadLetters', {}));
    });

  const retry = () =>
    run(async () => {
      const { requeued } = await call('retryDeadLetters', {});
      useToastStore.getState().push({ kind: 'info', text: s.requeued(requeued) });
      setDeadLetters(await call('listDeadLetters', {}));
      await useSyncStore.getState().load();
    });

  return (
    <section ref={sectionRef} className="settings-section" aria-labelledby="settings-sync">
      <h3 id="settings-sync">{s.title}</h3>
      <p className="muted">{s.intro}</p>
      <p>
        <strong>{s.state} : </strong>
        {state ? syncPhaseText(t, state, now) : t.app.loading}
        {state && state.phase !== 'disabled' && state.pending > 0 && ` · ${t.statusBar.sync.pending(state.pending)}`}
      </p>
      {state?.notice && <p role="status">{s.notice[state.notice.code](formatDateTime(t, state.notice.at))}</p>}
      {state?.unknownRecords ? <p className="muted">{s.unknownRecords(state.unknownRecords)}</p> : null}
      <form onSubmit={save} noValidate>
        <label htmlFor="sync-url">{s.serverUrl}</label>
        <input
          id="sync-url"
          type="url"
          inputMode="url"
          placeholder="https://"
          maxLength={limits.url}
          value={serverUrl}
          readOnly={lockedServer}
          aria-describedby={lockedServer ? 'sync-url-locked' : undefined}
          onChange={(e) => setServerUrl(e.target.value)}
        />
        {lockedServer && (
          <p id="sync-url-locked" className="muted">
            {t.settingsDialog.lockedByPolicy}
          </p>
        )}
        <label htmlFor="sync-token">{s.token}</label>
        <input
          id="sync-token"
          type="password"
          autoComplete="off"
          maxLength={limits.token}
          value={token}
          aria-describedby="sync-token-hint"
          onChange={(e) => setToken(e.target.value)}
        />
        <p id="sync-token-hint" className="muted">
          {view?.hasToken ? s.tokenKept : ''} {view ? s.tokenStorage[view.tokenStorage] : ''}
        </p>
        <label htmlFor="sync-enrolment-code">{s.enrolmentCode}</label>
        <input
          id="sync-enrolment-code"
          type="text"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          maxLength={40}
          value={enrolmentCode}
          aria-describedby="sync-enrolment-code-hint"
          onChange={(e) => setEnrolmentCode(e.target.value)}
        />
        <p id="sync-enrolment-code-hint" className="muted">
          {s.enrolmentCodeHint}
        </p>
        <div className="dialog-actions dialog-actions-start">
          <button type="submit" className="btn btn-primary" aria-disabled={busy}>
            {s.save}
          </button>
          <button type="button" className="btn" aria-disabled={busy} onClick={syncNow}>
            {s.syncNow}
          </button>
        </div>
      </form>
      {failure && (
        <p className="field-error" role="alert">
          {failure}
        </p>
      )}

      <h4 id="dead-letters-heading">{s.deadLetters}</h4>
      {deadLetters && deadLetters.length === 0 && <p className="muted">{s.noDeadLetters}</p>}
      {deadLetters && deadLetters.length > 0 && (
        <>
          <div className="table-scroll" tabIndex={0} aria-labelledby="dead-letters-heading">
            <table>
              <thead>
                <tr>
                  <th scope="col">{s.failedAt}</th>
                  <th scope="col">{s.client}</th>
                  <th scope="col">{s.reason}</th>
                </tr>
              </thead>
              <tbody>
                {deadLetters.map((d) => (
                  <tr key={d.seq}>
                    <td>
                      {formatDateTime(t, d.failedAt)} · {s.kind[d.kind]}
                    </td>
                    <td className="mono">{d.clientCode ?? t.file.none}</td>
                    <td>{d.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="button" className="btn" aria-disabled={busy} onClick={retry}>
            {s.retry}
          </button>
        </>
      )}
    </section>
  );
}
