// Text folding shared by search (db) and highlighting (renderer): accents and case do not matter.

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
