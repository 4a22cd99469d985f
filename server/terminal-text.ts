// Text from the database on its way to an administrator's terminal. A device id or an agent name
// is whatever a desk or an import sent: an ESC in it would start a terminal escape sequence (colours,
// cursor moves, a changed window title, hidden lines), a bidirectional override would reorder what is
// shown. Such characters are printed as escapes instead, and so is the backslash, so that an
// escape in the output always means the character, never the text "\x1b".

const unsafe = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\\]|\p{Cs}/gu;

export function printable(value: string): string {
  return value.replace(unsafe, (character) => {
    if (character === '\\') return '\\\\';
    const code = character.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
