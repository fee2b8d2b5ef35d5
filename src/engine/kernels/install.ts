/**
 * Registers deepvis's kernels once per backend: the fast convolution gradients for wasm, and the
 * cpu bridge for any other kernel wasm lacks. Idempotent. Returns what it did so `inspect` and the
 * benchmark can report it.
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

const installed = new Map<string, KernelReport>();

function register(backendName: string, kernelName: string, kernelFunc: tf.KernelFunc): 'added' | 'replaced' {
  const existing = tf.getKernel(kernelName, backendName);
  if (existing != null) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc });
  return existing != null ? 'replaced' : 'added';
}

export function installKernels(backendName: string): KernelReport {
  const done = installed.get(backendName);
  if (done) return done;
  const report: KernelReport = { backend: backendName, replaced: [], added: [], bridged: [] };
  if (backendName === 'wasm') {
    const ours: Array<[string, tf.KernelFunc]> = [
      ['Conv2DBackpropInput', conv2dBackpropInput(backendName) as unknown as tf.KernelFunc],
      ['Conv2DBackpropFilter', conv2dBackpropFilter(backendName) as unknown as tf.KernelFunc],
      ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput(backendName) as unknown as tf.KernelFunc],
      ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter(backendName) as unknown as tf.KernelFunc],
      ['MaxPoolGrad', maxPoolGrad as unknown as tf.KernelFunc],
      ['AvgPoolGrad', avgPoolGrad(backendName) as unknown as tf.KernelFunc],
    ];
    for (const [name, fn] of ours) report[register(backendName, name, fn)].push(name);
    if (tf.findBackend('cpu') != null) {
      const fn = unsortedSegmentSum(cpuBridge('UnsortedSegmentSum') as never) as unknown as tf.KernelFunc;
      report[register(backendName, 'UnsortedSegmentSum', fn)].push('UnsortedSegmentSum');
    }
    const stockIdentity = tf.getKernel('Identity', backendName);
    if (stockIdentity != null) {
      report[register(backendName, 'Identity', sharedIdentity(stockIdentity.kernelFunc) as unknown as tf.KernelFunc)].push('Identity (shares data)');
    }
    const stockSlice = tf.getKernel('Slice', backendName);
    if (stockSlice != null) {
      report[register(backendName, 'Slice', contiguousSlice(stockSlice.kernelFunc))].push('Slice (contiguous blocks without copying the input)');
    }
    const stockMatMul = tf.getKernel('BatchMatMul', backendName);
    if (stockMatMul != null) {
      const fn = batchMatMulWithCachedTranspose(stockMatMul.kernelFunc, backendName) as unknown as tf.KernelFunc;
      report[register(backendName, 'BatchMatMul', fn)].push('BatchMatMul (cached transposed weights)');
    }
    // tfjs-backend-wasm 4.22 returns wrong values (or garbage) for GatherV2 with batchDims > 0;
    // those calls go through the cpu kernel, the rest stay on wasm.
    const stockGather = tf.getKernel('GatherV2', backendName);
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
  installed.set(backendName, report);
  return report;
}
