import { useState } from 'react';
import type { Locale } from '../../../contract/errors.ts';
import { limits } from '../../../contract/limits.ts';
import { messageOf } from '../desk.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { runReported } from '../report.ts';
import { searchInputId } from '../actions.ts';
import { useSessionStore } from '../store/session.ts';
import { useSettingsStore } from '../store/settings.ts';
import { onboardingStartId } from './Onboarding.tsx';

export const pinPattern = new RegExp(`^[0-9]{${limits.pinMin},${limits.pinMax}}$`);

/**
 * First start on this workstation, or "Nouvel agent" from the sign-in screen: a name (a new name is
 * a new agent) and a PIN chosen twice. The name goes with every attempt.
 */
export function FirstRun({ onBack }: { onBack?: () => void }) {
  const t = useT();
  const locale = useLocale();
  const [name, setName] = useState('');
  const [pin, setPin] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problem, setProblem] = useState<{ field: 'name' | 'pin' | 'confirm' | 'form'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const update = useSettingsStore((s) => s.update);

  function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    const agentName = name.trim();
    if (!agentName) return setProblem({ field: 'name', text: t.firstRun.nameRequired });
    if (!pinPattern.test(pin)) return setProblem({ field: 'pin', text: t.firstRun.pinInvalid });
    if (confirm !== pin) return setProblem({ field: 'confirm', text: t.firstRun.pinMismatch });
    setBusy(true);
    useSessionStore
      .getState()
      .createProfile(agentName, pin)
      .then(() => {
        // This form (and its focused button) gives way to the workspace: focus goes where work starts,
        // the onboarding's first choice on an empty base, else the search.
        setTimeout(() => {
          const start = useSettingsStore.getState().settings?.clientCount === 0 ? document.getElementById(onboardingStartId) : null;
          (start ?? document.getElementById(searchInputId))?.focus();
        }, 0);
      })
      .catch((error: unknown) => {
        setProblem({ field: 'form', text: messageOf(error, locale) });
        setBusy(false);
      });
  }

  const errorFor = (field: 'name' | 'pin' | 'confirm') =>
    problem?.field === field ? (
      <p id={`first-run-${field}-error`} className="field-error" role="alert">
        {problem.text}
      </p>
    ) : null;
  const describedBy = (field: 'name' | 'pin' | 'confirm', hint?: string) =>
    [problem?.field === field ? `first-run-${field}-error` : null, hint].filter(Boolean).join(' ') || undefined;

  return (
    <main className="first-run">
      <form className="card" onSubmit={submit} noValidate>
        <h1>{onBack ? t.firstRun.newTitle : t.firstRun.title}</h1>
        <p>{t.firstRun.intro}</p>
        <label htmlFor="agent-name">{t.firstRun.name}</label>
        <input
          id="agent-name"
          autoFocus
          autoComplete="name"
          maxLength={limits.agentName}
          value={name}
          aria-invalid={problem?.field === 'name'}
          aria-describedby={describedBy('name')}
          onChange={(e) => {
            setName(e.target.value);
            setProblem(null);
          }}
        />
        {errorFor('name')}
        <label htmlFor="agent-pin">{t.firstRun.pin}</label>
        <input
          id="agent-pin"
          type="password"
          inputMode="numeric"
          autoComplete="new-password"
          maxLength={limits.pinMax}
          value={pin}
          aria-invalid={problem?.field === 'pin'}
          aria-describedby={describedBy('pin', 'agent-pin-hint')}
          onChange={(e) => {
            setPin(e.target.value);
            setProblem(null);
          }}
        />
        <p id="agent-pin-hint" className="muted">
          {t.firstRun.pinHint}
        </p>
        {errorFor('pin')}
        <label htmlFor="agent-pin-confirm">{t.firstRun.pinConfirm}</label>
        <input
          id="agent-pin-confirm"
          type="password"
          inputMode="numeric"
          autoComplete="new-password"
          maxLength={limits.pinMax}
          value={confirm}
          aria-invalid={problem?.field === 'confirm'}
          aria-describedby={describedBy('confirm')}
          onChange={(e) => {
            setConfirm(e.target.value);
            setProblem(null);
          }}
        />
        {errorFor('confirm')}
        {!onBack && (
          <>
            <label htmlFor="first-run-locale">{t.settingsDialog.language}</label>
            <select id="first-run-locale" value={locale} onChange={(e) => runReported(() => update({ locale: e.target.value as Locale }))}>
              <option value="fr">{t.settingsDialog.languages.fr}</option>
              <option value="en">{t.settingsDialog.languages.en}</option>
            </select>
          </>
        )}
        {problem?.field === 'form' && (
          <p className="field-error" role="alert">
            {problem.text}
          </p>
        )}
        <button type="submit" className="btn btn-primary" aria-disabled={busy}>
          {t.firstRun.submit}
        </button>
        {onBack && (
          <button type="button" className="btn" onClick={onBack}>
            {t.firstRun.back}
          </button>
        )}
      </form>
    </main>
  );
}
