// What the console's client filter matches: the client's name, code and phone numbers, folded as
// the desk folds them (accents and case ignored; phones as digits, national form too), so
// "helene", "0000100400" or "0606" find the same client on the server as on a desk.

import { foldText, phoneSearchForms } from '../../contract/text.ts';

export function clientSearchText(code: string, name: string, phones: readonly string[]): string {
  return [foldText(name), code.toLowerCase(), ...phones.flatMap(phoneSearchForms)].join(' ');
}

/** A typed fragment, folded the same way; digits-only fragments also match phone digits. */
export function searchFragment(typed: string): string {
  if (/^[\d\s+().-]+$/.test(typed) && /\d/.test(typed)) return typed.replace(/\D/g, '');
  return foldText(typed);
}

/** A LIKE pattern containing the fragment anywhere, its own % _ \\ taken literally (ESCAPE '\\'). */
export function containsPattern(fragment: string): string {
  return `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
