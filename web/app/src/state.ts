/** What the views share: the model, its served extras, the input, the selected layer and unit. */
import type { LayerInfo, TopKIndex, VisModel } from '../../../src/index.js';
import type { Config } from './api.js';
import { InputManager } from './input.js';

export interface AppState {
  config: Config;
  model: VisModel | null;
  /** Index of the model in config.models, or −1 for a model dropped into the page. */
  served: number;
  index: TopKIndex | null;
  input: InputManager;
  layer: LayerInfo | null;
  unit: number | null;
  /** Activations of the selected layer for the current input (shape without batch). */
  acts: { shape: number[]; values: Float32Array } | null;
  frames: number;
  fps: number;
}

export function status(text: string): void {
  document.getElementById('status')!.textContent = text;
}
