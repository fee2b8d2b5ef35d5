/** What the views share: the model, its served extras, the input, the selected layer and unit. */
import type { analysis, LayerInfo, VisModel } from '../../../src/index.js';
import type { Config } from './api.js';
import { InputManager } from './input.js';
import type { PageData } from './page_data.js';

type TopKIndex = analysis.TopKIndex;

export interface AppState {
  config: Config;
  model: VisModel | null;
  /** Index of the model in config.models, or −1 for a model dropped into the page. */
  served: number;
  index: TopKIndex | null;
  /** For a model added in the page that fits the served data set: its index and specificity, computed here (null while scanning). */
  page: PageData | null;
  /** True while the page scans the data set for an added model. */
  scanning: boolean;
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

/** An input problem, shown in the input panel where the user is looking (and cleared by the next good input). */
export function inputError(text: string | null): void {
  const el = document.getElementById('input-error')!;
  el.textContent = text ?? '';
  el.hidden = !text;
}
