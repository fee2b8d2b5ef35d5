/**
 * The feature-visualization methods, each once (method.ts: a method is a value). The CLI's
 * `maximize --method` choices, flags and help, --compare-methods, the web app's lists, the atlas
 * and the invariants table read this list and nothing else: a new method is its file and a row.
 * The order is the order of the help and the choices.
 */
import { byName } from '../errors.js';
import { accentuateMethod } from './accentuate.js';
import { dataDrivenMethod } from './data_driven.js';
import { erhanMethod } from './erhan.js';
import { ghiasiMethod } from './ghiasi.js';
import { lucidMethod } from './lucid.js';
import { macoMethod } from './maco.js';
import type { AnyFeatureVis } from './method.js';
import { yosinskiMethod } from './yosinski.js';

export const FEATURE_VIS: readonly AnyFeatureVis[] = [
  erhanMethod,
  yosinskiMethod,
  dataDrivenMethod,
  lucidMethod,
  macoMethod,
  accentuateMethod,
  ghiasiMethod,
];

/** The method of that name; an unknown name is one line listing the known ones. */
export const featureVisMethod = (name: string): AnyFeatureVis => byName(FEATURE_VIS, name);
