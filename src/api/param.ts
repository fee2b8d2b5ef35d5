/** `param`: how an optimized image is parameterized; each param owns its init. */
export { pixels, type Param } from '../param/pixels.js';
export { phaseOnly } from '../param/phase.js';
export { fromImageSpectrum } from '../param/from_image.js';
export { meanSpectrum, resizeSpectrum, type Spectrum } from '../param/spectrum.js';
export { datasetSpectrum } from '../param/data_spectrum.js';
export { NATURAL_SPECTRUM } from '../param/natural_spectrum.js';
export { normProjection, clampRange, type Projection } from '../projections/projections.js';
