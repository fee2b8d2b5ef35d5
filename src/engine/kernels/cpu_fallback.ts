/**
 * A generic bridge for kernels a backend lacks but the cpu backend has (Einsum,
 * UnsortedSegmentSum, …): inputs are copied to the cpu backend, the cpu kernel runs, the outputs are
 * copied back. Slow but exact; used only where no composite kernel exists. Complex-valued kernels
 * (FFT, Complex, …) are not bridged: wasm cannot hold complex64 — deepvis's Fourier
 * parameterization uses a real DFT as matrix products instead.
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

export function cpuBridge(kernelName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const cpu = tf.findBackend('cpu');
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (cpu == null || cpuKernel == null) {
      throw new Error(
        `deepvis engine: kernel ${kernelName} is missing and the cpu backend is not available`,
      );
    }
    const moved: tf.TensorInfo[] = [];
    const toCpu = (t: tf.TensorInfo): tf.TensorInfo => {
      const values = backend.readSync(t.dataId) as tf.backend_util.BackendValues;
      const info = { dataId: cpu.write(values, t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
      moved.push(info);
      return info;
    };
    const cpuInputs: Record<string, tf.TensorInfo> | tf.TensorInfo[] = Array.isArray(inputs)
      ? (inputs as tf.TensorInfo[]).map(toCpu)
      : Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, toCpu(v as tf.TensorInfo)]));
    try {
      const out = cpuKernel.kernelFunc({
        inputs: cpuInputs as tf.NamedTensorInfoMap,
        backend: cpu,
        attrs,
      });
      const outs = Array.isArray(out) ? out : [out];
      const back = outs.map((o) => {
        const values = cpu.readSync(o.dataId) as tf.backend_util.BackendValues;
        cpu.disposeData(o.dataId);
        return { dataId: backend.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
      });
      return Array.isArray(out) ? back : back[0];
    } finally {
      for (const m of moved) cpu.disposeData(m.dataId);
    }
  };
}

const COMPLEX_OR_UNSUPPORTED = new Set([
  'Complex',
  'ComplexAbs',
  'Real',
  'Imag',
  'FFT',
  'IFFT',
  'RFFT',
  'IRFFT',
  'Draw',
  'StaticRegexReplace',
  'StringSplit',
  'StringNGrams',
  'StringToHashBucketFast',
]);

/** Kernels registered for cpu but not for `backendName` that can be bridged. */
export function bridgeableKernels(backendName: string): string[] {
  const have = new Set(tf.getKernelsForBackend(backendName).map((k) => k.kernelName));
  return tf
    .getKernelsForBackend('cpu')
    .map((k) => k.kernelName)
    .filter((name) => !have.has(name) && !COMPLEX_OR_UNSUPPORTED.has(name));
}
