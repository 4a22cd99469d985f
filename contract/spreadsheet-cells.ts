// Cells of a CSV meant for a spreadsheet, shared by the desk's history export (db/export.ts) and the
// console's journal export (server/console/export.ts): one rule for both files a supervisor opens.

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before them) as a formula:
 * a note or an imported name such as "=HYPERLINK(…)" would (OWASP "CSV injection"). A leading
 * apostrophe makes it text; an .xlsx needs none, its strings are never formulas.
 */
export function neutralizeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * Excel reads an all-digit cell of a CSV as a number: "0000100413" loses its zeros, long codes turn
 * into 1.00004E+15. Written as ="0000100413" it stays text. Digits only, so nothing else can run;
 * any other code goes through neutralizeCell.
 */
export function csvTextCode(code: string): string {
  return /^\d+$/.test(code) ? `="${code}"` : neutralizeCell(code);
}
