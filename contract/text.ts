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

/**
 * The French national digits of a number written in international form ("+33 6…", "0033 6…",
 * "+33 (0)6…"), or null when it is not a complete French number in that form.
 */
export function frenchNationalDigits(digits: string): string | null {
  const rest = digits.startsWith('0033') ? digits.slice(4) : digits.startsWith('33') ? digits.slice(2) : null;
  if (rest === null) return null;
  const national = rest.length === 10 && rest.startsWith('0') ? rest.slice(1) : rest; // "+33 (0)6 …"
  return national.length === 9 && /^[1-9]/.test(national) ? `0${national}` : null;
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

/**
 * What a search typed as a phone number looks for: its digits, except that a French number in
 * international form ("+33 6 12", "0033 6 12", "+33 (0)6 12") is looked for in its national form.
 * Every stored French number holds that form as a substring of what is indexed, however it was
 * written: "06 12…" as is, "+33 6 12…" and "0033…" through phoneSearchForms, "+33 (0)6 12…" in its
 * own digits ("330612…"). So no stored client needs indexing again.
 */
export function phoneQueryDigits(query: string): string {
  const digits = query.replace(/\D/g, '');
  const international = query.trim().startsWith('+') ? digits : digits.startsWith('00') ? digits.slice(2) : null;
  if (international === null || !international.startsWith('33')) return digits;
  const rest = international.slice(2).replace(/^0/, '');
  return rest ? `0${rest}` : digits;
}
