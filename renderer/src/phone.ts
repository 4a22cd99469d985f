// Phone numbers as the agent reads and dials them: French numbers in national form
// ("06 12 34 56 78", however they were imported), others in international form ("+44 20 …"),
// with the links the workstation opens (tel: for the softphone, wa.me for WhatsApp).

import { frenchNationalDigits } from '../../contract/text.ts';

export interface PhoneView {
  /** What the agent reads. */
  text: string;
  /** For tel: — E.164 when the country is known, else the digits as written. */
  dial: string | null;
  /** For wa.me: the international digits, when the country is known. */
  international: string | null;
}

const pairs = (digits: string) => digits.replace(/(\d{2})(?=\d)/g, '$1 ');

export function phoneView(raw: string): PhoneView {
  const written = raw.trim().replace(/\s+/g, ' ');
  const digits = written.replace(/\D/g, '');
  if (!digits) return { text: written, dial: null, international: null };
  const internationalForm = written.startsWith('+') || digits.startsWith('00');
  const national = /^0[1-9]\d{8}$/.test(digits) && !internationalForm ? digits : internationalForm ? frenchNationalDigits(digits) : null;
  if (national) return { text: pairs(national), dial: `+33${national.slice(1)}`, international: `33${national.slice(1)}` };
  if (internationalForm) {
    const number = digits.startsWith('00') && !written.startsWith('+') ? digits.slice(2) : digits;
    // Keep the grouping it was written with, only the prefix becomes "+".
    const text = written.startsWith('+') ? written : `+${written.replace(/^\s*00\s*/, '')}`;
    return number.length >= 6 ? { text, dial: `+${number}`, international: number } : { text: written, dial: null, international: null };
  }
  // A number without its country (a local form other than French): shown and dialled as written.
  return { text: written, dial: digits.length >= 3 ? digits : null, international: null };
}

export const telHref = (view: PhoneView) => (view.dial ? `tel:${view.dial}` : null);
export const whatsAppHref = (view: PhoneView) => (view.international ? `https://wa.me/${view.international}` : null);
