/**
 * The toolbox's global shortcuts (Yosinski et al. 2015's toolbox is driven from the keyboard): one table, read
 * both by the key handler and by the `?` overlay (keys.ts).
 */
import { $, $button } from './draw.js';
import { installShortcuts } from './keys.js';
import type { LiveView } from './live.js';
import type { AppState } from './state.js';
import type { UnitPanel } from './unit.js';

export interface ShortcutTargets {
  readonly state: AppState;
  readonly live: LiveView;
  readonly unitPanel: UnitPanel;
  readonly closeUnit: () => void;
  /** Next (1) or previous (−1) data-set image. */
  readonly imageStep: (d: number) => void;
}

export function installAppShortcuts({
  live,
  unitPanel,
  closeUnit,
  imageStep,
}: ShortcutTargets): void {
  const layerStep = (d: number) => {
    const buttons = [...$('layer-strip').querySelectorAll('button')];
    const i = buttons.findIndex((b) => b.getAttribute('aria-pressed') === 'true');
    buttons[Math.max(0, Math.min(buttons.length - 1, i + d))]?.click();
  };
  const unitStep = (d: number) => {
    live.moveCursor(d);
    if (!$('unit-panel').hidden) live.select(live.cursorUnit);
  };
  const click = (id: string) => () => $button(id).click();
  installShortcuts(
    [
      { keys: ['[', 'PageUp'], label: 'previous layer', run: () => layerStep(-1) },
      { keys: [']', 'PageDown'], label: 'next layer', run: () => layerStep(1) },
      { keys: [','], label: 'previous unit (without focusing the grid)', run: () => unitStep(-1) },
      { keys: ['.'], label: 'next unit', run: () => unitStep(1) },
      {
        keys: ['o'],
        label: 'open or close the unit under the cursor',
        run: () => ($('unit-panel').hidden ? live.select(live.cursorUnit) : closeUnit()),
      },
      { keys: ['Escape'], label: 'close the unit panel (or this list)', run: closeUnit },
      { keys: ['f'], label: 'freeze or unfreeze the frame', run: click('freeze') },
      { keys: ['n'], label: 'next data-set image', run: () => imageStep(1) },
      { keys: ['p'], label: 'previous data-set image', run: () => imageStep(-1) },
      { keys: ['i'], label: 'invert light and dark', run: click('invert') },
      { keys: ['w'], label: 'webcam', run: click('src-webcam') },
      {
        keys: ['b'],
        label: 'unit panel: deconv → gradient → guided backprop',
        run: () => unitPanel.cycleBackprop(),
      },
      { keys: ['c'], label: 'unit panel: contrast boost on or off', run: click('unit-boost') },
      {
        keys: ['t'],
        label: 'per-tile or per-layer brightness of the tiles',
        run: click('brightness'),
      },
      { keys: ['?'], label: 'show or hide this list', run: () => {} },
    ],
    $('help'),
    $('help-list'),
  );
}
