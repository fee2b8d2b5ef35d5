/**
 * deepvis's kernels per backend: the fast convolution gradients and host loops for wasm (the
 * deepvis mode), wasm's MaxPoolGrad and the cpu bridge for any other kernel wasm lacks (both modes). Returns what it
 * did so `inspect` and the benchmark can report it.
 */
import * as tf from '@tensorflow/tfjs';
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  depthwiseBackpropFilter,
  depthwiseBackpropInput,
} from './conv_grads.js';
import { bridgeableKernels, cpuBridge } from './cpu_fallback.js';
import { maxPoolGrad } from './max_pool_grad.js';
import { avgPoolGrad } from './avg_pool_grad.js';
import { batchMatMulWithCachedTranspose } from './matmul.js';
import { sharedIdentity } from './identity.js';
import { unsortedSegmentSum } from './segment_sum.js';
import { contiguousSlice } from './slice.js';

export interface KernelReport {
  backend: string;
  replaced: string[];
  added: string[];
  bridged: string[];
}

/** What was registered before deepvis first replaced a kernel (null: nothing), per backend and kernel. */
const stock = new Map<string, tf.KernelConfig | null>();
const installed = new Map<string, KernelReport>();

function register(
  backendName: string,
  kernelName: string,
  kernelFunc: tf.KernelFunc,
): 'added' | 'replaced' {
  const existing = tf.getKernel(kernelName, backendName);
  const key = `${backendName}/${kernelName}`;
  if (!stock.has(key)) stock.set(key, existing ?? null);
  if (existing != null) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc });
  return existing != null ? 'replaced' : 'added';
}

/** Puts back what was registered before deepvis replaced `kernelName` (nothing, if there was nothing). */
function restore(backendName: string, kernelName: string): void {
  const key = `${backendName}/${kernelName}`;
  if (!stock.has(key)) return;
  if (tf.getKernel(kernelName, backendName) != null) tf.unregisterKernel(kernelName, backendName);
  const k = stock.get(key);
  if (k) tf.registerKernel(k);
}

/** The faster kernels for wasm (the deepvis mode only): same numbers as the stock ones, within float error. */
function fastKernels(backendName: string): Array<[string, tf.KernelFunc, string?]> {
  const list: Array<[string, tf.KernelFunc, string?]> = [
    ['Conv2DBackpropInput', conv2dBackpropInput(backendName) as unknown as tf.KernelFunc],
    ['Conv2DBackpropFilter', conv2dBackpropFilter(backendName) as unknown as tf.KernelFunc],
    [
      'DepthwiseConv2dNativeBackpropInput',
      depthwiseBackpropInput(backendName) as unknown as tf.KernelFunc,
    ],
    [
      'DepthwiseConv2dNativeBackpropFilter',
      depthwiseBackpropFilter(backendName) as unknown as tf.KernelFunc,
    ],
    ['AvgPoolGrad', avgPoolGrad(backendName) as unknown as tf.KernelFunc],
  ];
  if (tf.findBackend('cpu') != null)
    list.push([
      'UnsortedSegmentSum',
      unsortedSegmentSum(cpuBridge('UnsortedSegmentSum') as never) as unknown as tf.KernelFunc,
    ]);
  const own = (name: string) =>
    stock.get(`${backendName}/${name}`) ?? tf.getKernel(name, backendName);
  const identity = own('Identity');
  if (identity)
    list.push([
      'Identity',
      sharedIdentity(identity.kernelFunc) as unknown as tf.KernelFunc,
      'Identity (shares data)',
    ]);
  const slice = own('Slice');
  if (slice)
    list.push([
      'Slice',
      contiguousSlice(slice.kernelFunc),
      'Slice (contiguous blocks without copying the input)',
    ]);
  const matMul = own('BatchMatMul');
  if (matMul)
    list.push([
      'BatchMatMul',
      batchMatMulWithCachedTranspose(matMul.kernelFunc, backendName) as unknown as tf.KernelFunc,
      'BatchMatMul (cached transposed weights)',
    ]);
  return list;
}

/**
 * Registers deepvis's kernels for `backendName` in `mode` (idempotent; switching is allowed):
 * the fast ones in the deepvis mode only, and in both modes what wasm lacks or gets wrong (the cpu
 * bridge, GatherV2 with batchDims > 0).
 */
export function installKernels(
  backendName: string,
  mode: 'deepvis' | 'stock' = 'deepvis',
): KernelReport {
  const done = installed.get(`${backendName}/${mode}`);
  if (done) return done;
  installed.delete(`${backendName}/${mode === 'stock' ? 'deepvis' : 'stock'}`);
  const report: KernelReport = { backend: backendName, replaced: [], added: [], bridged: [] };
  if (backendName === 'wasm') {
    for (const [name, fn, label] of fastKernels(backendName)) {
      if (mode === 'deepvis') report[register(backendName, name, fn)].push(label ?? name);
      else restore(backendName, name);
    }
    // tfjs-backend-wasm 4.22's MaxPoolGrad routes some gradients to the wrong window position
    // (max_pool_grad.ts): ours in both modes.
    report[register(backendName, 'MaxPoolGrad', maxPoolGrad as unknown as tf.KernelFunc)].push(
      'MaxPoolGrad',
    );
    // tfjs-backend-wasm 4.22 returns wrong values (or garbage) for GatherV2 with batchDims > 0;
    // those calls go through the cpu kernel, the rest stay on wasm.
    const stockGather =
      stock.get(`${backendName}/GatherV2`) ?? tf.getKernel('GatherV2', backendName);
    if (stockGather != null) {
      const bridged = cpuBridge('GatherV2');
      const gather = ((args: Parameters<tf.KernelFunc>[0]) =>
        Number((args.attrs as { batchDims?: number } | undefined)?.batchDims ?? 0) !== 0
          ? bridged(args as never)
          : stockGather.kernelFunc(args)) as tf.KernelFunc;
      report[register(backendName, 'GatherV2', gather)].push('GatherV2 (batchDims > 0 via cpu)');
    }
  }
  if (backendName !== 'cpu' && tf.findBackend('cpu') != null) {
    for (const name of bridgeableKernels(backendName)) {
      register(backendName, name, cpuBridge(name) as unknown as tf.KernelFunc);
      report.bridged.push(name);
    }
  }
  installed.set(`${backendName}/${mode}`, report);
  return report;
}
