/**
 * deepvis live toolbox (Yosinski et al. 2015): wires the views to the state and runs the animation loop. The
 * computation is the library's (src/), in the page, on the best backend the browser offers
 * (WebGPU → WebGL → wasm; ?backend=wasm to choose). ONNX models run their forwards and gradients on
 * onnxruntime-web's wasm build when it loads (?ort=off: tfjs only; ?gradients=tfjs: tfjs gradients),
 * or on tfjs, whichever the Engine choice says (auto: the faster on this model, timed).
 */
import * as tf from '@tensorflow/tfjs';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import threaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import ortModule from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import ortGpuWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import {
  analysis,
  engine as engineApi,
  models,
  initEngine,
  type BackendName,
  type VisModel,
} from '../../../src/index.js';
import { withDatasetLabels } from '../../../src/model/labels.js';
import { fetchConfig, fetchIndex } from './api.js';
import { $, $button, $canvas, $input, fitOnResize } from './draw.js';
import { InputManager } from './input.js';
import { LiveView } from './live.js';
import { MethodsPanel } from './methods.js';
import { AttentionView } from './attention_view.js';
import { fillMethodSelect } from './maximize_run.js';
import { PageData, dataFits } from './page_data.js';
import { isMnistLike } from './fit_input.js';
import { installAppShortcuts } from './app_shortcuts.js';
import { wireInputs } from './input_wiring.js';
import { status, type AppState } from './state.js';
import { UnitPanel } from './unit.js';
import { EmbeddingView } from './embed_view.js';
import { GpuGradients, loadWebGpu } from './webgpu_gradients.js';
import {
  applyEngine,
  describeOutcome,
  ENGINE_CHOICES,
  type EngineChoice,
  type EngineOutcome,
} from './engine_choice.js';

const { loadModelFromFiles, loadModelFromUrl, SINGLE_FILE_MODEL } = models;
const { scannableLayers } = analysis;
const { GRADIENT_ENGINES, OrtWeb } = engineApi;
type GradientEngineChoice = engineApi.GradientEngineChoice;
type OrtWeb = engineApi.OrtWeb;

const params = new URLSearchParams(location.search);

/** An added model's name: its folder when it came as a folder, else its model file (model.json says nothing). */
function modelName(files: File[], fallback: string): string {
  const folder = files.map((f) => f.webkitRelativePath.split('/').slice(-2, -1)[0]).find(Boolean);
  if (folder) return folder;
  const main =
    files.find((f) => SINGLE_FILE_MODEL.test(f.name)) ?? files.find((f) => f.name === 'model.json');
  return main
    ? main.name === 'model.json'
      ? `added model ${fallback.slice(5)} (model.json)`
      : main.name
    : fallback;
}

async function start(): Promise<void> {
  // The method lists come from the library's registry.
  for (const id of ['opt-method', 'max-method']) fillMethodSelect($(id) as HTMLSelectElement);
  const gradients = params.get('gradients');
  const engine = await initEngine({
    backend: (params.get('backend') as BackendName | null) ?? undefined,
    gradients:
      gradients && (GRADIENT_ENGINES as readonly string[]).includes(gradients)
        ? (gradients as GradientEngineChoice)
        : undefined,
    wasmPaths: {
      'tfjs-backend-wasm-simd.wasm': simd,
      'tfjs-backend-wasm.wasm': plain,
      'tfjs-backend-wasm-threaded-simd.wasm': threaded,
    },
  });
  // onnxruntime-web for ONNX files, loaded with the first one (14 MB of wasm): one thread unless
  // the page is cross-origin isolated.
  let ortLoading: Promise<OrtWeb | undefined> | null = null;
  const ortFor = (file: string): Promise<OrtWeb | undefined> => {
    if (params.get('ort') === 'off' || !/\.onnx$/i.test(file)) return Promise.resolve(undefined);
    ortLoading ??= OrtWeb.load({
      moduleUrl: new URL(ortModule, location.href).href,
      wasmUrl: new URL(ortWasm, location.href).href,
      threads: globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1,
    }).catch((e: Error) => {
      console.warn(`onnxruntime-web did not load (${e.message}); ONNX models run on tfjs`);
      return undefined;
    });
    return ortLoading;
  };
  $('backend').textContent = `${engine.backend}${engine.threads > 1 ? ` ×${engine.threads}` : ''}`;
  const config = await fetchConfig();
  const state: AppState = {
    config,
    model: null,
    served: -1,
    index: null,
    page: null,
    scanning: false,
    input: new InputManager($('video') as HTMLVideoElement),
    layer: null,
    unit: null,
    acts: null,
    frames: 0,
    fps: 0,
  };
  state.input.dataSpec = config.data?.spec ?? null;
  fitOnResize();
  const unitPanel = new UnitPanel(state);
  const attention = new AttentionView(state, () =>
    state.model ? state.input.current(state.model) : null,
  );
  const live = new LiveView(state, {
    onFrame: (x) => {
      unitPanel.onFrame(x);
      attention.onFrame(x);
    },
    onUnit: (u) => void unitPanel.open(u),
  });
  const methods = new MethodsPanel(state);
  // Set below, once the input wiring exists: a clicked point opens its image as the input.
  let openImage = (_i: number) => {};
  const embedding = new EmbeddingView(state, (i) => openImage(i));

  const select = $('model') as HTMLSelectElement;
  const addOption = (label: string, value: string) => {
    const o = document.createElement('option');
    o.textContent = label;
    o.value = value;
    select.append(o);
    return o;
  };
  config.models.forEach((m, i) => addOption(m.name, String(i)));
  const dropped = new Map<string, VisModel>();

  const layerStrip = () => {
    const strip = $('layer-strip');
    const model = state.model!;
    strip.replaceChildren(
      ...scannableLayers(model).map((l) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = l.name;
        b.title = `${l.kind} ${l.outputShape.join('×')}`;
        b.setAttribute('aria-pressed', String(l.name === state.layer?.name));
        b.addEventListener('click', () => {
          state.layer = l;
          state.unit = null;
          unitPanel.close();
          strip
            .querySelectorAll('button')
            .forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
          live.refresh();
        });
        return b;
      }),
    );
  };

  let ready = '';
  let generation = 0;
  const useModel = async (value: string) => {
    status('loading model…');
    // Running work holds the old model's layers: it stops (keeping its best so far) before the model goes.
    await Promise.all([unitPanel.cancel(), methods.cancel()]);
    const old = state.model;
    const gen = ++generation;
    state.page = null;
    state.scanning = false;
    if (value.startsWith('drop:')) {
      state.model = dropped.get(value)!;
      state.served = -1;
      state.index = null;
    } else {
      const i = Number(value);
      const m = config.models[i];
      // Class names the model lacks come from the served data set (predictions say "Ankle boot", not "9").
      state.model = withDatasetLabels(
        await loadModelFromUrl(m.url, {}, await ortFor(new URL(m.url, location.href).pathname)),
        config.data?.classNames,
        config.data?.spec ?? 'served',
      );
      // No frame runs until the input is rebuilt for it (the loop skips without a layer).
      state.layer = null;
      state.served = i;
      state.index = m.index ? await fetchIndex(m.index).catch(() => null) : null;
    }
    if (old && !value.startsWith('drop:') && ![...dropped.values()].includes(old)) old.dispose();
    const layers = scannableLayers(state.model);
    // Start in the middle of the conv stack: first-layer channels are edges, the last ones coarse.
    const spatial = layers.filter((l) => l.outputShape.length === 3 && /conv/i.test(l.kind));
    state.layer = spatial[Math.floor((spatial.length - 1) / 2)] ?? layers[0];
    state.unit = null;
    unitPanel.close();
    state.input.invalidate();
    // Results of the previous model do not describe this one.
    const out = $('method-out') as HTMLCanvasElement;
    out.getContext('2d')!.clearRect(0, 0, out.width, out.height);
    delete out.dataset.state;
    $('method-info').textContent = '';
    for (const id of ['method-progress', 'opt-progress']) ($(id) as HTMLProgressElement).value = 0;
    layerStrip();
    live.refresh();
    embedding.reset(state.model);
    attention.reset(state.model);
    $('digit-fit').hidden = !isMnistLike(state.model, config.data?.spec);
    chooseEngine(value);
    ready = `model ready on ${engine.backend}${state.index ? `; top-k index of ${state.index.dataset.count} images` : ''}`;
    status(ready);
    if (state.served < 0 && dataFits(config, state.model)) void scanInPage(state.model, gen);
  };
  // An added model that fits the served data set: scan it here (the server scans only its own models).
  const scanInPage = async (model: VisModel, gen: number) => {
    state.scanning = true;
    status(
      `${ready}; scanning the ${config.data!.count} data-set images for top-9 and specificity…`,
    );
    try {
      const page = await PageData.scan(config, model);
      if (gen !== generation) return;
      state.page = page;
      state.index = page.index;
      ready = `model ready on ${engine.backend}; top-k index of ${page.index.dataset.count} images (scanned in the page)`;
      status(ready);
      if (state.unit != null) void unitPanel.open(state.unit);
    } catch (e) {
      if (gen === generation) status(`scanning the data set failed: ${(e as Error).message}`);
    } finally {
      if (gen === generation) state.scanning = false;
    }
  };
  // The engine of each model (by its entry in the model list), as chosen in the page.
  const engineChoices = new Map<string, EngineChoice>();
  const engineSelect = $('engine') as HTMLSelectElement;
  for (const { value, label } of ENGINE_CHOICES) {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    engineSelect.append(o);
  }
  const describeModel = (outcome: EngineOutcome | null, choice: EngineChoice) => {
    const model = state.model!;
    const [h, w, c] = model.input.shape;
    const engines =
      model.format === 'onnx'
        ? `; forwards on ${model.forwardEngine ?? 'tfjs'}, gradients on ${model.gradientEngine ?? 'tfjs'}`
        : '';
    const why = outcome ? ` (${describeOutcome(outcome, choice)})` : '';
    $('model-info').textContent =
      `${model.format} model, input ${h}×${w}×${c}, range ${model.input.range.join('…')}${engines}${why}`;
  };
  // onnxruntime-web's WebGPU build (27 MB of wasm), loaded when first chosen.
  let gpuLoading: ReturnType<typeof loadWebGpu> | null = null;
  const chooseEngine = (value: string) => {
    const choice = engineChoices.get(value) ?? 'auto';
    const model = state.model!;
    const outcome = applyEngine(model, choice);
    $('engine-label').hidden = !outcome;
    engineSelect.value = choice;
    describeModel(outcome, choice);
    const bp = unitPanel.backprop;
    bp.useGpu(null);
    if (choice !== 'webgpu' || !outcome) {
      unitPanel.redrawFrame();
      return;
    }
    gpuLoading ??= loadWebGpu(new URL(ortGpuWasm, location.href).href);
    void gpuLoading.then((got) => {
      if (state.model !== model || engineSelect.value !== 'webgpu') return;
      if (typeof got === 'string') {
        $('model-info').textContent += `; no WebGPU: ${got}`;
        return;
      }
      const gpu = new GpuGradients(got.ort, model, got.adapter);
      bp.useGpu(gpu);
      // Optimizations (Lucid and the loop's other methods) run each step's gradient there first.
      model.useAsyncGraphs?.(gpu);
      $('model-info').textContent +=
        `; backprop view and optimization steps on WebGPU (${got.adapter})`;
      unitPanel.redrawFrame();
    });
  };
  engineSelect.addEventListener('change', () => {
    void (async () => {
      // Running work holds passes on the old engine: it stops (keeping its best so far) first.
      await Promise.all([unitPanel.cancel(), methods.cancel()]);
      engineChoices.set(select.value, engineSelect.value as EngineChoice);
      chooseEngine(select.value);
      live.refresh();
    })().catch((e: Error) => status(`cannot change the engine: ${e.message}`));
  });
  select.addEventListener(
    'change',
    () => void useModel(select.value).catch((e) => status(`cannot load the model: ${e.message}`)),
  );

  const addModel = async (e: Event) => {
    const files = [...((e.target as HTMLInputElement).files ?? [])];
    (e.target as HTMLInputElement).value = '';
    try {
      const m = await loadModelFromFiles(
        files,
        {},
        await ortFor(files.find((f) => SINGLE_FILE_MODEL.test(f.name))?.name ?? ''),
      );
      const key = `drop:${dropped.size}`;
      dropped.set(key, m);
      addOption(modelName(files, key), key).selected = true;
      await useModel(key);
    } catch (err) {
      status(`cannot load the dropped model: ${(err as Error).message}`);
    }
  };
  $input('model-files').addEventListener('change', addModel);
  $input('model-folder').addEventListener('change', addModel);

  const { guard, showData } = wireInputs(state, () => ready);
  openImage = (i) => void guard(showData(i));
  $button('brightness').addEventListener('click', () => {
    live.brightness = live.brightness === 'tile' ? 'layer' : 'tile';
    $button('brightness').setAttribute('aria-pressed', String(live.brightness === 'tile'));
    live.refresh();
  });
  const closeUnit = () => {
    if ($('unit-panel').hidden) return;
    state.unit = null;
    unitPanel.close();
    live.refresh();
    $canvas('grid').focus();
  };
  $button('unit-close').addEventListener('click', closeUnit);
  // Global shortcuts (Yosinski et al. 2015's toolbox is driven from the keyboard); `?` lists them.
  installAppShortcuts({
    state,
    live,
    unitPanel,
    closeUnit,
    imageStep: (d) =>
      void guard(
        showData(state.input.kind === 'data' ? state.input.dataIndex + d : state.input.dataIndex),
      ),
  });
  $button('help-open').addEventListener('click', () =>
    document.dispatchEvent(new KeyboardEvent('keydown', { key: '?' })),
  );
  // For tests and the curious: the page's own numbers.
  (window as unknown as { deepvisApp: unknown }).deepvisApp = {
    stats: () => ({
      frames: state.frames,
      fps: state.fps,
      numTensors: tf.memory().numTensors,
      backend: engine.backend,
      source: state.input.kind,
      version: state.input.version,
      forwardEngine: state.model?.forwardEngine ?? 'tfjs',
      gradientEngine: state.model?.gradientEngine ?? 'tfjs',
    }),
    predictions: () =>
      [...$('predictions').querySelectorAll('li')].map((li) =>
        Number((li as HTMLElement).dataset.index),
      ),
  };

  // A link from the atlas (deepvis report): #model=NAME&layer=L&unit=N opens that unit live.
  const wanted = new URLSearchParams(location.hash.slice(1));
  const first = Math.max(
    0,
    config.models.findIndex((m) => m.name === wanted.get('model')),
  );
  if (config.models.length) {
    select.value = String(first);
    await useModel(String(first));
    const layer = wanted.get('layer')
      ? scannableLayers(state.model!).find(
          (l) => l.name === wanted.get('layer') || l.aliases?.includes(wanted.get('layer')!),
        )
      : undefined;
    if (layer) {
      state.layer = layer;
      layerStrip();
      live.refresh();
      const unit = Number(wanted.get('unit'));
      if (wanted.get('unit') != null && Number.isInteger(unit) && unit >= 0 && unit < layer.units)
        void unitPanel.open(unit);
    } else if (wanted.get('layer'))
      status(`the link names layer '${wanted.get('layer')}', which this model does not have`);
  } else
    status(
      'no model served: add one with the file picker (model.json + weights), or start deepvis serve --model M',
    );
  if (config.data) await guard(showData(0));

  let failing = false;
  const loop = () => {
    try {
      live.tick();
      // A frame that works again clears the last frame's error.
      if (failing) status(ready);
      failing = false;
    } catch (e) {
      failing = true;
      status(`live view: ${(e as Error).message}`);
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  status(`error: ${(e as Error).message}`);
  (window as unknown as { deepvisError: string }).deepvisError = String((e as Error).message);
});
