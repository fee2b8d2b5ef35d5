/**
 * The input the model sees, from any source: webcam, a video file, an image (file, drop, paste), a
 * data-set image from the server, or a frozen frame. Every source ends as one tensor [H, W, C] in
 * the model's shape, channel order and value range, owned here; `version` changes whenever the
 * picture does, so the live view recomputes only then (every frame for webcam and video).
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../../../src/index.js';
import { fetchImages } from './api.js';
import { cropResize, isMnistLike, mnistFit } from './fit_input.js';

export type SourceKind = 'none' | 'webcam' | 'video' | 'image' | 'data';

export class InputManager {
  kind: SourceKind = 'none';
  frozen = false;
  /** Light ↔ dark (a webcam looking at dark ink on paper, for a model trained on MNIST's white-on-black). */
  inverted = false;
  /** For MNIST-like models: centre and size the digit as MNIST's are (camera, video, pictures). */
  digitFit = true;
  version = 0;
  dataIndex = 0;
  dataLabel: number | null = null;
  private tensor: tf.Tensor3D | null = null;
  private still: HTMLImageElement | ImageBitmap | null = null;
  private stillValues: { values: Float32Array; shape: [number, number, number] } | null = null;
  private stream: MediaStream | null = null;

  /** The served data set (its name tells a digit model from a clothing one of the same shape). */
  dataSpec: string | null = null;

  constructor(private readonly video: HTMLVideoElement) {}

  get live(): boolean {
    return (
      !this.frozen &&
      (this.kind === 'webcam' || this.kind === 'video') &&
      this.video.readyState >= 2
    );
  }

  async useWebcam(): Promise<void> {
    this.stop();
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 320, height: 240 },
      audio: false,
    });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.kind = 'webcam';
    this.frozen = false;
  }

  async useVideo(file: File): Promise<void> {
    this.stop();
    this.video.src = URL.createObjectURL(file);
    await this.video.play();
    this.kind = 'video';
    this.frozen = false;
  }

  async useImage(blob: Blob): Promise<void> {
    // The old picture goes either way: keeping it would look as if the new file were shown.
    this.stop();
    this.kind = 'none';
    try {
      this.still = await createImageBitmap(blob);
    } catch {
      const name = blob instanceof File ? `'${blob.name}'` : 'the pasted data';
      throw new Error(
        `${name} is not an image this browser can read${blob.type ? ` (${blob.type})` : ''}; choose a PNG, JPEG, GIF or WebP`,
      );
    }
    this.kind = 'image';
    this.frozen = false;
    this.invalidate();
  }

  async useData(index: number): Promise<void> {
    const r = await fetchImages([index]);
    this.stop();
    this.stillValues = { values: r.values, shape: r.shape };
    this.dataIndex = index;
    this.dataLabel = r.labels[0] >= 0 ? r.labels[0] : null;
    this.kind = 'data';
    this.frozen = false;
    this.invalidate();
  }

  setInverted(inverted: boolean): void {
    this.inverted = inverted;
    this.invalidate();
  }

  setDigitFit(on: boolean): void {
    this.digitFit = on;
    this.invalidate();
  }

  /** The raw source (camera or video frame, or picture) the model's input is cut from, or null. */
  get raw(): HTMLVideoElement | ImageBitmap | HTMLImageElement | null {
    if (this.kind === 'image') return this.still;
    if ((this.kind === 'webcam' || this.kind === 'video') && this.video.readyState >= 2)
      return this.video;
    return null;
  }

  setFrozen(frozen: boolean): void {
    this.frozen = frozen;
    if (!frozen) this.invalidate();
  }

  /** Forces the next `current` to rebuild the tensor (a new model, a new still). */
  invalidate(): void {
    this.tensor?.dispose();
    this.tensor = null;
  }

  /** The model's input now (owned here: do not dispose); null before any source is chosen. */
  current(model: VisModel): tf.Tensor3D | null {
    if (this.kind === 'none') return null;
    if (this.tensor && !this.live) return this.tensor;
    const next = this.build(model);
    if (!next) return this.tensor;
    this.tensor?.dispose();
    this.tensor = next;
    this.version++;
    return this.tensor;
  }

  private build(model: VisModel): tf.Tensor3D | null {
    const [H, W, C] = model.input.shape;
    const [lo, hi] = model.input.range;
    const source =
      this.kind === 'image'
        ? this.still
        : this.kind === 'webcam' || this.kind === 'video'
          ? this.video
          : null;
    if (source === this.video && this.video.readyState < 2) return null;
    return tf.tidy(() => {
      let x: tf.Tensor3D;
      // A picture already in the model's size (an MNIST digit) is taken as it is.
      const [sw, sh] =
        source instanceof HTMLVideoElement
          ? [source.videoWidth, source.videoHeight]
          : source
            ? [source.width, source.height]
            : [0, 0];
      const digit =
        source != null &&
        this.digitFit &&
        isMnistLike(model, this.dataSpec) &&
        !(sw === W && sh === H);
      if (source) {
        // Cropped to the model's aspect ratio, not squashed (a 4:3 camera into a square input).
        x = tf.browser
          .fromPixels(source as HTMLVideoElement)
          .toFloat()
          .div(255) as tf.Tensor3D;
        x = cropResize(x, H, W, digit ? [112, 112] : [H, W]);
      } else if (this.stillValues) {
        x = tf.tensor3d(this.stillValues.values, this.stillValues.shape);
        if (x.shape[0] !== H || x.shape[1] !== W) x = cropResize(x, H, W);
      } else return null as unknown as tf.Tensor3D;
      if (C === 1 && x.shape[2] !== 1) x = x.mean(2, true);
      if (C === 3 && x.shape[2] === 1) x = x.tile([1, 1, 3]);
      if (C === 3 && model.input.channelOrder === 'bgr') x = x.reverse(2);
      if (this.inverted) x = tf.sub(1, x);
      // After inversion, so the ink is bright as in MNIST.
      if (digit) x = mnistFit(x);
      return x.mul(hi - lo).add(lo) as tf.Tensor3D;
    });
  }

  private stop(): void {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    if (this.video.src.startsWith('blob:')) URL.revokeObjectURL(this.video.src);
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.srcObject = null;
    this.still = null;
    this.stillValues = null;
    this.invalidate();
  }
}
