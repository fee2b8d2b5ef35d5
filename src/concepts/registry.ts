/**
 * The concept methods, each once (method.ts: a method is a value). `concepts()`, the CLI's
 * `concepts --method` (choices, flags, help) and the docs read this list and nothing else: a new
 * method is its file and a row. The order is the order of the help.
 */
import { byName } from '../errors.js';
import type { ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import type { ConceptSet } from './concept.js';
import { craftMethod } from './craft.js';
import { dffMethod } from './dff.js';
import { runConcepts, type AnyConceptMethod, type ConceptsArgs } from './method.js';
import { saeMethod } from './sae.js';
import { tcavMethod } from './tcav.js';

export const CONCEPT_METHODS: readonly AnyConceptMethod[] = [
  craftMethod,
  dffMethod,
  tcavMethod,
  saeMethod,
];

/** The method of that name; an unknown name is one line listing the known ones. */
export const conceptMethod = (name: string): AnyConceptMethod => byName(CONCEPT_METHODS, name);

/** A model's concepts by any method of the registry. */
export const concepts = (
  model: VisModel,
  data: ImageSet,
  method: string,
  args: ConceptsArgs = {},
): ConceptSet => runConcepts(conceptMethod(method), model, data, args);
