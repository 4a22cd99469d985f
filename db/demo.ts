// Demo clients for a first run, a screenshot or a benchmark: plausible French names, phones and
// cities, deterministic for a given count so that tests and figures are repeatable.

import type { Kysely } from 'kysely';
import type { ClientInput } from './clients.ts';
import { upsertClient } from './clients.ts';
import type { Database } from './schema.ts';
import { writeTransaction } from './tx.ts';

const lastNames = ['MARTIN', 'BERNARD', 'THOMAS', 'PETIT', 'ROBERT', 'RICHARD', 'DURAND', 'DUBOIS', 'MOREAU', 'LAURENT', 'SIMON', 'MICHEL', 'LEFÈVRE', 'LEROY', 'ROUX', 'DAVID', 'BERTRAND', 'MOREL', 'FOURNIER', 'GIRARD', 'BONNET', 'DUPONT', 'LAMBERT', 'FONTAINE', 'ROUSSEAU', 'VINCENT', 'MÜLLER', 'FAURE', 'ANDRÉ', 'MERCIER', 'DIALLO', 'NDIAYE', 'TRAORÉ', 'KONÉ', 'COULIBALY', 'GARCÍA', 'DIOP', 'CAMARA', 'SYLLA', 'BARRY'];
const firstNames = ['Karim', 'Gaëlle', 'Damien', 'Rémi', 'Océane', 'Noémie', 'Inès', 'Mamadou', 'Chloé', 'Jérôme', 'Théo', 'Mathieu', 'Hélène', 'Laetitia', 'Aïcha', 'François', 'Zoé', 'Élodie', 'Moussa', 'Awa', 'Léa', 'Hugo', 'Manon', 'Lucas', 'Fatou', 'Yannick', 'Bérénice', 'Cédric', 'Anaïs', 'Sébastien'];
const cities = ['Paris', 'Lyon', 'Marseille', 'Nantes', 'Rennes', 'Besançon', 'Saint-Étienne', 'Abidjan', 'Dakar', 'Bamako', 'Lille', 'Toulouse', 'Bordeaux', 'Montréal', 'Genève'];

/** A small deterministic generator (mulberry32): same seed, same numbers, so data and figures repeat. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function demoClient(index: number): ClientInput {
  const next = seededRandom(index + 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const last = pick(lastNames);
  const first = pick(firstNames);
  const company = next() < 0.12;
  const name = company ? `SARL ${last.charAt(0)}${last.slice(1).toLowerCase()} & Fils` : `${last} ${first}`;
  const digits = String(Math.floor(next() * 1e8)).padStart(8, '0');
  const mobile = next() < 0.5 ? '6' : '7';
  const phone =
    next() < 0.7
      ? `+33 ${mobile} ${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4, 6)} ${digits.slice(6, 8)}`
      : `0${mobile}${digits}`;
  const email = next() < 0.7 ? `${first}.${last}`.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase() + '@exemple.fr' : null;
  return {
    code: String(100_000 + index * 7).padStart(10, '0'),
    name,
    phones: [phone],
    email,
    city: pick(cities),
    address: null,
    extra: {},
  };
}

/** Inserts `count` demo clients in batches, each batch one transaction. Existing codes are updated. */
export async function seedDemoClients(
  db: Kysely<Database>,
  count: number,
  at: string,
  onProgress?: (done: number) => void,
): Promise<number> {
  const batch = 5000;
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    await writeTransaction(db, async (trx) => {
      for (let i = start; i < end; i++) await upsertClient(trx, demoClient(i), at);
    });
    onProgress?.(end);
  }
  return count;
}
