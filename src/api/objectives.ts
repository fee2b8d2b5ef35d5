/**
 * `objectives`, `param`, `transforms`: the parts of a recipe. An Objective maps activations to one
 * score per batch item (higher is better; plus/times/minus/sum); a Param owns an image's variables
 * and its init (pixels, Fourier, phase-only, from an image); transforms perturb the image each step.
 */
export { Objective, sum } from '../objectives/objective.js';
export { units, unitScores, checkUnits, checkUnitRange, parseUnits } from '../objectives/units.js';
export {
  parseNeuron,
  centreNeuron,
  strongestNeuron,
  type NeuronSpec,
} from '../objectives/neuron.js';
export { deepDream } from '../objectives/layer.js';
