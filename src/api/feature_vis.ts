/**
 * `featureVis`: synthesize what units respond to. The methods as values (`methods`, `method(name)`,
 * each with its facts, options and run), the recipes as functions (`erhan(model, args)` and its
 * generator `erhanSteps` for pages that drive a run a slice at a time), and the one loop
 * (`optimize`) with its parts for new recipes. Every result has one dispose().
 */
export { FEATURE_VIS as methods, featureVisMethod as method } from '../methods/registry.js';
export {
  argsFor,
  defineFeatureVis,
  missing,
  runChunked,
  withDefaults,
  type AnyFeatureVis,
  type BatchPlan,
  type FeatureVisMethod,
  type VisContext,
  type VisExtras,
  type VisRequest,
} from '../methods/method.js';
export {
  disposable,
  type MethodResult,
  type RunControl,
  type UnitOutcome,
  type UnitRequest,
} from '../methods/recipe.js';
export {
  erhan,
  erhanSteps,
  erhanParams,
  type ErhanArgs,
  type ErhanResult,
} from '../methods/erhan.js';
export {
  yosinski,
  yosinskiSteps,
  yosinskiParams,
  YOSINSKI_PRESETS,
  randomPresets,
  type YosinskiArgs,
  type YosinskiResult,
  type YosinskiSet,
} from '../methods/yosinski.js';
export { lucid, lucidSteps, lucidParams, type LucidArgs } from '../methods/lucid.js';
export { maco, macoSteps, macoParams, type MacoArgs, type MacoResult } from '../methods/maco.js';
export { alphaOf } from '../methods/maco_transparency.js';
export {
  accentuate,
  accentuateSteps,
  accentuateParams,
  type AccentuateArgs,
  type AccentuateResult,
} from '../methods/accentuate.js';
export {
  dataDriven,
  dataDrivenSteps,
  dataDrivenParams,
  stepFilter,
  type DataDrivenArgs,
  type DataDrivenResult,
} from '../methods/data_driven.js';
export { invert, invertSteps, invertParams } from '../methods/invert.js';
export { dreamPhoto, dreamPhotoSteps, dreamParams } from '../methods/dream.js';
export { dreamUnits, dreamUnitsSteps } from '../methods/dream_units.js';
export { dreamZoom, dreamZoomSteps } from '../methods/zoom.js';
export {
  optimize,
  optimizeOwned,
  optimizeSteps,
  type OptimizeArgs,
  type OptimizeResult,
  type StepInfo,
} from '../optimize/loop.js';
export { Ahead, drain, drive, type Steps } from '../optimize/drive.js';
export { Nadam } from '../optimize/nadam.js';
export { rulesForFirst } from '../optimize/rule_warmup.js';
