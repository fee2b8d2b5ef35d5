/** `train`: deepvis's own models — classifiers (CNN, MLP) built and fitted in the library. */
export { buildClassifier } from '../train/architectures.js';
export { fitClassifier, evaluate } from '../train/fit.js';
