/**
 * The seed papers `deepvis reproduce` knows, loaded lazily (each paper module pulls in its own
 * trainers and methods). A paper module exports one `Paper` value whose id is its number.
 */
import { DeepvisError } from '../errors.js';
import type { Paper, PaperId } from './types.js';

export const PAPER_IDS: readonly PaperId[] = ['000', '001', '002', '003', '004'];

export const PAPER_TITLES: Readonly<Record<PaperId, string>> = {
  '000': 'Visualisation of maximising images for deep neural networks',
  '001': 'Visualization of Neural Networks (Cavojska 2015)',
  '002': 'Visualizing Higher-Layer Features of a Deep Network (Erhan et al. 2009)',
  '003': 'Visualizing Convolutional Neural Networks (Agrawal & Balani)',
  '004': 'Understanding Neural Networks Through Deep Visualization (Yosinski et al. 2015)',
};

const isPaper = (v: unknown, id: PaperId): v is Paper =>
  typeof v === 'object' &&
  v !== null &&
  (v as Paper).id === id &&
  typeof (v as Paper).run === 'function';

export async function loadPaper(id: PaperId): Promise<Paper> {
  const mod = (await import(`./paper_${id}.js`)) as Record<string, unknown>;
  const found = Object.values(mod).find((v) => isPaper(v, id));
  if (!found) throw new Error(`src/reproduce/paper_${id} exports no Paper with id '${id}'`);
  return found as Paper;
}

/** '000'…'004' or 'all' → the ids to run, in order. */
export function parsePapers(text: string | undefined): PaperId[] {
  if (text == null)
    throw new DeepvisError(`which paper? give one of ${PAPER_IDS.join(', ')} or all`);
  if (text === 'all') return [...PAPER_IDS];
  const ids = text.split(',').map((s) => s.trim().padStart(3, '0'));
  for (const id of ids)
    if (!(PAPER_IDS as readonly string[]).includes(id))
      throw new DeepvisError(`unknown paper '${text}': give one of ${PAPER_IDS.join(', ')} or all`);
  return ids as PaperId[];
}
