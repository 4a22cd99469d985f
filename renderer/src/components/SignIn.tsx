// The sign-in screen of a shared workstation ("Agent", "Code PIN", "Se connecter", "Nouvel agent")
// and the lock screen ("Session verrouillée"), which asks the same PIN of the agent still signed in.

import { useState } from 'react';
import type { AgentProfileView } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';
import { messageOf } from '../desk.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { useSessionStore } from '../store/session.ts';
import { useSettingsStore } from '../store/settings.ts';
import { FirstRun, pinPattern } from './FirstRun.tsx';

/** Nobody is signed in: pick a profile and give its PIN, or add a new agent. */
export function SignInGate() {
  const profiles = useSessionStore((s) => s.session?.profiles ?? []);
  const [adding, setAdding] = useState(false);
  if (profiles.length === 0) return <FirstRun />;
  if (adding) return <FirstRun onBack={() => setAdding(false)} />;
  return <SignIn profiles={profiles} onNewAgent={() => setAdding(true)} />;
}

function SignIn({ profiles, onNewAgent }: { profiles: AgentProfileView[]; onNewAgent: () => void }) {
  const t = useT();
  const [profileId, setProfileId] = useState(profiles[0]!.id);
  const profile = profiles.find((p) => p.id === profileId) ?? profiles[0]!;
  return (
    <main className="first-run">
      <PinForm
        title={t.signIn.title}
        intro={t.signIn.intro}
        profile={profile}
        submitLabel={t.signIn.submit}
        picker={
          <>
            <label htmlFor="sign-in-agent">{t.signIn.agent}</label>
            <select id="sign-in-agent" autoFocus value={profile.id} onChange={(e) => setProfileId(e.target.value)}>
              {profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </>
        }
        extra={
          <button type="button" className="btn" onClick={onNewAgent}>
            {t.signIn.newAgent}
          </button>
        }
      />
    </main>
  );
}

/** The agent is still signed in but stepped away: their PIN unlocks, or another agent takes over. */
export function LockScreen() {
  const t = useT();
  const agent = useSettingsStore((s) => s.settings?.agent);
  const profiles = useSessionStore((s) => s.session?.profiles ?? []);
  const locale = useLocale();
  const [failure, setFailure] = useState<string | null>(null);
  if (!agent) return null;
  const profile = profiles.find((p) => p.id === agent.id) ?? { id: agent.id, name: agent.name, hasPin: true };
  return (
    <main className="first-run">
      <PinForm
        title={t.lock.title}
        intro={t.lock.intro(agent.name)}
        profile={profile}
        submitLabel={t.lock.unlock}
        autoFocus
        extra={
          <>
            <button
              type="button"
              className="btn"
              onClick={() => useSessionStore.getState().signOut().catch((error: unknown) => setFailure(messageOf(error, locale)))}
            >
              {t.lock.switchAgent}
            </button>
            {failure && (
              <p className="field-error" role="alert">
                {failure}
              </p>
            )}
          </>
        }
      />
    </main>
  );
}

function PinForm(props: {
  title: string;
  intro: string;
  profile: AgentProfileView;
  submitLabel: string;
  picker?: React.ReactNode;
  extra?: React.ReactNode;
  autoFocus?: boolean;
}) {
  const t = useT();
  const locale = useLocale();
  const [pin, setPin] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const choosing = !props.profile.hasPin;

  function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (!pinPattern.test(pin)) return setProblem(t.firstRun.pinInvalid);
    if (choosing && confirm !== pin) return setProblem(t.firstRun.pinMismatch);
    setBusy(true);
    useSessionStore
      .getState()
      .signIn(props.profile.id, pin, choosing ? confirm : undefined)
      .catch((error: unknown) => {
        setProblem(messageOf(error, locale));
        setPin('');
        setConfirm('');
        setBusy(false);
      });
  }

  return (
    <form className="card" onSubmit={submit} noValidate>
      <h1>{props.title}</h1>
      <p>{props.intro}</p>
      {props.picker}
      <label htmlFor="sign-in-pin">{t.signIn.pin}</label>
      <input
        id="sign-in-pin"
        type="password"
        inputMode="numeric"
        autoComplete="current-password"
        autoFocus={props.autoFocus}
        maxLength={limits.pinMax}
        value={pin}
        aria-invalid={problem !== null}
        aria-describedby={[problem ? 'sign-in-error' : null, choosing ? 'sign-in-choose' : null].filter(Boolean).join(' ') || undefined}
        onChange={(e) => {
          setPin(e.target.value);
          setProblem(null);
        }}
      />
      {choosing && (
        <>
          <p id="sign-in-choose" className="muted">
            {t.signIn.choosePin}
          </p>
          <label htmlFor="sign-in-pin-confirm">{t.firstRun.pinConfirm}</label>
          <input
            id="sign-in-pin-confirm"
            type="password"
            inputMode="numeric"
            autoComplete="new-password"
            maxLength={limits.pinMax}
            value={confirm}
            onChange={(e) => {
              setConfirm(e.target.value);
              setProblem(null);
            }}
          />
        </>
      )}
      {problem && (
        <p id="sign-in-error" className="field-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" className="btn btn-primary" aria-disabled={busy}>
        {props.submitLabel}
      </button>
      {props.extra}
    </form>
  );
}
