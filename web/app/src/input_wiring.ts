/**
 * The input panel's controls wired to the InputManager: source buttons, file pickers, the data-set
 * navigator (◀ Index of N ▶), invert / centre digit / freeze, and drop or paste onto the input
 * view. A failed source says so in the input panel (not only the footer) and clears the old picture.
 */
import { $, $button, $canvas, $input } from './draw.js';
import { inputError, status, type AppState } from './state.js';

export interface InputWiring {
  /** Runs an input change, then shows its error (if any) where the user is looking. */
  guard(p: Promise<unknown>): Promise<void>;
  /** Shows data-set image i (refused with 'of N' when out of range). */
  showData(i: number): Promise<void>;
  sourceButtons(): void;
}

export function wireInputs(state: AppState, ready: () => string): InputWiring {
  const config = state.config;
  const sourceButtons = () => {
    $button('src-webcam').setAttribute('aria-pressed', String(state.input.kind === 'webcam'));
    $button('src-data').setAttribute('aria-pressed', String(state.input.kind === 'data'));
    $('data-nav').hidden = state.input.kind !== 'data';
    $button('freeze').setAttribute('aria-pressed', String(state.input.frozen));
  };
  const guard = (p: Promise<unknown>) =>
    p
      .then(() => {
        sourceButtons();
        inputError(null);
        if (/^input: /.test($('status').textContent ?? '')) status(ready());
      })
      .catch((e) => {
        sourceButtons();
        inputError((e as Error).message);
        status(`input: ${(e as Error).message}`);
        // A failed source leaves no picture: clear what the old one drew.
        if (state.input.kind === 'none') {
          for (const id of ['input-view', 'grid'])
            $canvas(id).getContext('2d')!.clearRect(0, 0, $canvas(id).width, $canvas(id).height);
          $('predictions').replaceChildren();
          $('raw-figure').hidden = true;
        }
      });
  $button('src-webcam').addEventListener('click', () => void guard(state.input.useWebcam()));
  // The picker is cleared after each choice, so choosing the same file again is a change too.
  const picked = (id: string, use: (f: File) => Promise<void>) =>
    $input(id).addEventListener('change', (e) => {
      const el = e.target as HTMLInputElement;
      const f = el.files?.[0];
      if (f) void guard(use(f));
      el.value = '';
    });
  picked('video-file', (f) => state.input.useVideo(f));
  picked('image-file', (f) => state.input.useImage(f));
  const showData = async (i: number) => {
    if (!config.data) throw new Error('no data set served (start deepvis serve with --data)');
    const n = config.data.count;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      $input('data-index').value = String(state.input.dataIndex);
      throw new Error(`no image ${i}: the data set has ${n} images, 0–${n - 1}`);
    }
    await state.input.useData(i);
    $input('data-index').value = String(i);
    $button('data-prev').disabled = i === 0;
    $button('data-next').disabled = i === n - 1;
    const label = state.input.dataLabel;
    $('data-label').textContent =
      `${config.data.spec} #${i}${label != null ? ` — label ${config.data.classNames?.[label] ?? state.model?.labels?.[label] ?? label}` : ''}`;
  };
  $button('src-data').addEventListener(
    'click',
    () => void guard(showData(Number($input('data-index').value) || 0)),
  );
  $button('data-prev').addEventListener(
    'click',
    () => void guard(showData(state.input.dataIndex - 1)),
  );
  $button('data-next').addEventListener(
    'click',
    () => void guard(showData(state.input.dataIndex + 1)),
  );
  $input('data-index').addEventListener(
    'change',
    () => void guard(showData(Number($input('data-index').value))),
  );
  if (config.data) {
    $input('data-index').max = String(config.data.count - 1);
    $('data-count').textContent = `of ${config.data.count}`;
  }
  const toggle = (id: string, get: () => boolean, set: (on: boolean) => void) =>
    $button(id).addEventListener('click', () => {
      set(!get());
      $button(id).setAttribute('aria-pressed', String(get()));
    });
  toggle(
    'invert',
    () => state.input.inverted,
    (on) => state.input.setInverted(on),
  );
  toggle(
    'digit-fit',
    () => state.input.digitFit,
    (on) => state.input.setDigitFit(on),
  );
  toggle(
    'freeze',
    () => state.input.frozen,
    (on) => state.input.setFrozen(on),
  );
  const zone = $('dropzone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f?.type.startsWith('image/')) void guard(state.input.useImage(f));
  });
  document.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
    const f = item?.getAsFile();
    if (f) void guard(state.input.useImage(f));
  });
  return { guard, showData, sourceButtons };
}
