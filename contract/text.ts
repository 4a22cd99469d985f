// Text rules shared by every side: what text may be stored at all, and the folding that search (db)
// and highlighting (renderer) share so accents and case do not matter.

/**
 * Text every store keeps exactly as given. PostgreSQL refuses U+0000 in text, and a lone UTF-16
 * surrogate is written as U+FFFD by SQLite and PostgreSQL alike, so the record read back differs from
 * the one sent and conflicts on the next push. Both are refused at every entry (desk form, CSV cell,
 * IPC, HTTP), so the desk and the server store the same thing and no record can block a queue.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/** The first offending character, for messages ("U+0000" or "U+D800"). */
export function unstorableCharacter(value: string): string | null {
  if (value.includes('\u0000')) return 'U+0000';
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
      return `U+${unit.toString(16).toUpperCase()}`;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return `U+${unit.toString(16).toUpperCase()}`;
  }
  return null;
}


export function foldText(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Digits of a phone number, plus its French national form, so "0606" finds "+33 6 06 …". */
export function phoneSearchForms(phone: string): string[] {
  const digits = phone.replace(/\D/g, '');
  if (!digits) return [];
  const forms = [digits];
  if (digits.startsWith('33') && digits.length === 11) forms.push(`0${digits.slice(2)}`);
  if (digits.startsWith('0033') && digits.length === 13) forms.push(`0${digits.slice(4)}`);
  return forms;
}
