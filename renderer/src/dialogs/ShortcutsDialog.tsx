import { Modal } from '../components/Modal.tsx';
import { useT } from '../i18n/index.ts';
import { keyLabel, shortcutTable } from '../shortcuts.ts';
import { useSettingsStore } from '../store/settings.ts';

export function ShortcutsDialog({ onClose }: { onClose(): void }) {
  const t = useT();
  const singleKeys = useSettingsStore((s) => s.settings?.singleKeyShortcuts ?? true);
  return (
    <Modal title={t.shortcuts.title} onClose={onClose}>
      <table className="shortcut-table">
        <thead>
          <tr>
            <th scope="col">{t.shortcuts.key}</th>
            <th scope="col">{t.shortcuts.action}</th>
          </tr>
        </thead>
        <tbody>
          {shortcutTable.map((shortcut) => (
            <tr key={shortcut.id}>
              <td>
                {shortcut.keys.map((k, i) => (
                  <span key={k.label} className={k.singleKey && !singleKeys ? 'key-off' : undefined}>
                    {i > 0 && ` ${t.shortcuts.or} `}
                    <kbd>{keyLabel(t, k.label)}</kbd>
                  </span>
                ))}
              </td>
              <td>{t.shortcuts.descriptions[shortcut.id]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">{t.shortcuts.typingNote}</p>
      <p className="muted">{singleKeys ? t.shortcuts.singleKeysNote : t.shortcuts.singleKeyOff}</p>
      <p className="muted">{t.shortcuts.macNote}</p>
      <div className="dialog-actions">
        <button type="button" className="btn btn-primary" onClick={onClose}>
          {t.shortcuts.close}
        </button>
      </div>
    </Modal>
  );
}
