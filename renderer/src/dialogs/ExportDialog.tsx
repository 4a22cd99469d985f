import { useState } from 'react';
import { exportFormats, type ExportFormat } from '../../../contract/enums.ts';
import type { HistoryExport } from '../../../contract/model.ts';
import { Modal } from '../components/Modal.tsx';
import { call, messageOf } from '../desk.ts';
import { localDay } from '../format.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { useSettingsStore } from '../store/settings.ts';
import { useToastStore } from '../store/toasts.ts';
import { FormFooter } from '../components/FormFooter.tsx';

const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function bytesOfBase64(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Hands the export to the agent as a download: a Blob and <a download>, never a navigation. */
export function saveExport(file: HistoryExport): void {
  const blob =
    file.format === 'xlsx'
      ? new Blob([bytesOfBase64(file.content)], { type: xlsxType })
      : new Blob([file.content], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function firstOfMonth(at: Date): string {
  return localDay(new Date(at.getFullYear(), at.getMonth(), 1));
}

export function ExportDialog({ onClose }: { onClose(): void }) {
  const t = useT();
  const locale = useLocale();
  const agentId = useSettingsStore((s) => s.settings?.agent?.id ?? null);
  const [from, setFrom] = useState(() => firstOfMonth(new Date()));
  const [to, setTo] = useState(() => localDay(new Date()));
  const [mineOnly, setMineOnly] = useState(false);
  const [format, setFormat] = useState<ExportFormat>('xlsx');
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (from && to && from > to) {
      setFailure(t.exportDialog.rangeInvalid);
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const result = await call('exportHistory', {
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(mineOnly && agentId ? { agentId } : {}),
        format,
      });
      saveExport(result);
      useToastStore.getState().push({ kind: 'success', text: t.exportDialog.done(result.rowCount, result.fileName) });
      onClose();
    } catch (error) {
      setFailure(messageOf(error, locale));
      setBusy(false);
    }
  }

  return (
    <Modal title={t.exportDialog.title} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p>{t.exportDialog.intro}</p>
        <div className="field-row">
          <div className="field">
            <label htmlFor="export-from">{t.exportDialog.from}</label>
            <input id="export-from" type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="export-to">{t.exportDialog.to}</label>
            <input id="export-to" type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
          </div>
        </div>
        <fieldset className="inline-choices">
          <legend>{t.exportDialog.format}</legend>
          {exportFormats.map((value) => (
            <label key={value} className="checkbox">
              <input type="radio" name="export-format" value={value} checked={format === value} onChange={() => setFormat(value)} />
              {t.exportDialog.formats[value]}
            </label>
          ))}
        </fieldset>
        <label className="checkbox">
          <input type="checkbox" checked={mineOnly} onChange={(e) => setMineOnly(e.target.checked)} />
          {t.exportDialog.mineOnly}
        </label>
        <FormFooter failure={failure} cancelLabel={t.exportDialog.cancel} submitLabel={t.exportDialog.submit} busy={busy} onCancel={onClose} />
      </form>
    </Modal>
  );
}
