// A large clients file as Excel (France) writes it: ';', CRLF, accents. Line i+1 is client IMP<i>.

export function importCode(i: number, prefix = 'IMP'): string {
  return `${prefix}${String(i).padStart(7, '0')}`;
}

export function clientsFile(lines: number, prefix = 'IMP'): string {
  const rows = ['Code client;Nom;Téléphone;Ville'];
  for (let i = 0; i < lines; i++) rows.push(`${importCode(i, prefix)};CLIENT Numéro ${i};06 12 34 ${String(i % 100).padStart(2, '0')} 00;Dakar`);
  return rows.join('\r\n') + '\r\n';
}
