/**
 * Where the HDF5 reader comes from. h5wasm's ESM build (`import 'h5wasm'`) carries its wasm inline
 * and runs both under Node (tsx) and in a Vite bundle, so the default needs no setup anywhere. It is
 * imported on first use, so its 4 MB stay out of bundles and processes that never open a Keras file.
 * A host that wants another build (e.g. `h5wasm/node`, or a copy served from its own URL) calls
 * setH5Module() before the first load.
 */
import type * as H5 from 'h5wasm';

export type H5Module = typeof H5;

let injected: H5Module | null = null;
let loading: Promise<H5Module> | null = null;

export function setH5Module(module: H5Module): void {
  injected = module;
  loading = null;
}

/** The h5wasm module, its wasm instantiated (`ready` awaited). */
export async function h5Module(): Promise<H5Module> {
  if (injected) {
    await injected.ready;
    return injected;
  }
  loading ??= import('h5wasm').then(async (m) => {
    await m.ready;
    return m;
  });
  return loading;
}
