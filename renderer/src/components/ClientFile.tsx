import type { ReactNode } from 'react';
import { focusSearch } from '../actions.ts';
import { formatDateTime } from '../format.ts';
import { phoneView, telHref, whatsAppHref } from '../phone.ts';
import { fileTitleId } from '../reveal.ts';
import { useT } from '../i18n/index.ts';
import { allCallbacks, useCallbacksStore } from '../store/callbacks.ts';
import { useWorkspaceStore } from '../store/workspace.ts';
import { useFileStore } from '../store/file.ts';
import { useSettingsStore } from '../store/settings.ts';
import { History } from './History.tsx';
import { RecordPanel } from './RecordPanel.tsx';
import { RelativeTime } from './RelativeTime.tsx';
import { StatusBadge } from './StatusBadge.tsx';

export function ClientFile() {
  const t = useT();
  const client = useFileStore((s) => s.client);
  const loading = useFileStore((s) => s.loading);

  if (!client) {
    return <p className="file-empty">{loading ? t.file.loading : t.file.empty}</p>;
  }

  const extra = Object.entries(client.extra);
  return (
    <article className="client-file" aria-labelledby="file-title">
      <header className="file-head">
        <button type="button" className="btn btn-quiet back-to-list" onClick={backToList}>
          <span aria-hidden="true">← </span>
          {t.file.backToList}
        </button>
        <h2 id={fileTitleId} tabIndex={-1}>
          {client.name}
        </h2>
        <p className="file-code">
          <span className="muted">{t.file.code} </span>
          <span className="mono">{client.code}</span>
        </p>
      </header>

      <div className="file-columns">
        <section className="file-contact" aria-labelledby="contact-heading">
          <h3 id="contact-heading">{t.file.contact}</h3>
          <dl>
            <Field label={t.file.phones}>
              {client.phones.length === 0
                ? t.file.none
                : client.phones.map((phone) => <Phone key={phone} raw={phone} />)}
            </Field>
            <Field label={t.file.email}>{client.email ?? t.file.none}</Field>
            <Field label={t.file.city}>{client.city ?? t.file.none}</Field>
            <Field label={t.file.address}>{client.address ?? t.file.none}</Field>
            {extra.map(([key, value]) => (
              <Field key={key} label={key}>
                {value}
              </Field>
            ))}
          </dl>
        </section>

        <section className={`status-panel status-${client.status}`} aria-labelledby="status-heading">
          <h3 id="status-heading">{t.file.statusLabel}</h3>
          <p className="status-value">
            <StatusBadge status={client.status} />
            {client.status !== 'never' && client.lastAttemptAt && (
              <span className="status-when">
                {' '}
                {t.file.statusBy(formatDateTime(t, client.lastAttemptAt), client.lastAgentName ?? '')}{' '}
                (<RelativeTime iso={client.lastAttemptAt} focusable />)
              </span>
            )}
          </p>
          <p className="status-count">{t.file.attemptCount(client.attemptCount)}</p>
          <FlaggedNumber />
        </section>
      </div>

      <CallbackPanel code={client.code} name={client.name} />
      <RecordPanel />
      <History />
    </article>
  );
}

/** The number as the agent dials it, a tel: link for the softphone, and WhatsApp when the country is known. */
function Phone({ raw }: { raw: string }) {
  const t = useT();
  const view = phoneView(raw);
  const tel = telHref(view);
  const whatsApp = whatsAppHref(view);
  return (
    <span className="phone">
      {tel ? (
        <a className="phone-number mono" href={tel} title={t.file.call(view.text)}>
          {view.text}
        </a>
      ) : (
        <span className="phone-number mono">{view.text}</span>
      )}
      {whatsApp && (
        <a className="phone-whatsapp" href={whatsApp} target="_blank" rel="noopener noreferrer">
          {t.file.whatsApp(view.text)}
        </a>
      )}
    </span>
  );
}

/** Under a narrow width one pane shows at a time: back to the list, where the agent left it. */
function backToList(): void {
  useFileStore.getState().close();
  setTimeout(focusSearch, 0);
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="dl-row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** "Rappeler…" and the client's open call-backs. */
function CallbackPanel({ code, name }: { code: string; name: string }) {
  const t = useT();
  const list = useCallbacksStore((s) => s.list);
  const open = list ? allCallbacks(list).filter((c) => c.clientCode === code) : [];
  return (
    <section className="callback-panel" aria-label={t.callbacks.openClient(name)}>
      <button type="button" className="btn" onClick={() => useWorkspaceStore.getState().openDialog({ kind: 'callback', clientCode: code, clientName: name })}>
        {t.callbacks.action}
      </button>
      {open.length > 0 && (
        <ul className="callback-list">
          {open.map((c) => (
            <li key={c.callbackId}>
              {formatDateTime(t, c.dueAt)} · {c.forAgentId === null ? t.callbacks.team : c.handedOver ? t.callbacks.handedOver(c.scheduledBy) : t.callbacks.mine}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** "Faux numéro" and the like stop the queue and flag the number: said on the file, from its latest attempt. */
function FlaggedNumber() {
  const t = useT();
  const latest = useFileStore((s) => s.history.find((a) => a.void === null) ?? null);
  const reasons = useSettingsStore((s) => s.settings?.reasons ?? []);
  const rule = latest?.reason ? reasons.find((r) => r.code === latest.reason)?.retry : undefined;
  if (!rule || rule.kind !== 'stop' || !rule.flag) return null;
  return <p className="flagged">{t.queue.flagged}</p>;
}
