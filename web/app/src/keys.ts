/**
 * Global keyboard shortcuts, as in the original toolbox (Yosinski et al. 2015), and the `?` overlay that lists
 * them. The overlay is built from the same table the key handler reads, so the two cannot disagree.
 * Keys typed into a text field or a select are the field's, not shortcuts.
 */
export interface Shortcut {
  /** KeyboardEvent.key values. */
  readonly keys: readonly string[];
  readonly label: string;
  readonly run: () => void;
}

const typing = (el: Element | null) =>
  (el instanceof HTMLInputElement && !['button', 'checkbox', 'range', 'file'].includes(el.type)) ||
  el instanceof HTMLTextAreaElement ||
  el instanceof HTMLSelectElement;

export function installShortcuts(
  shortcuts: readonly Shortcut[],
  help: HTMLElement,
  list: HTMLElement,
): void {
  list.replaceChildren(
    ...shortcuts
      .map((s) => {
        const dt = document.createElement('dt');
        dt.append(
          ...s.keys.flatMap((k, i) => {
            const kbd = document.createElement('kbd');
            kbd.textContent = k === ' ' ? 'Space' : k;
            return i ? [' or ', kbd] : [kbd];
          }),
        );
        const dd = document.createElement('dd');
        dd.textContent = s.label;
        return [dt, dd];
      })
      .flat(),
  );
  let back: HTMLElement | null = null;
  const toggle = (open = help.hidden) => {
    if (open) back = document.activeElement as HTMLElement | null;
    help.hidden = !open;
    if (open) help.focus();
    else back?.focus();
  };
  help.querySelector('button')?.addEventListener('click', () => toggle(false));
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (!help.hidden && (e.key === 'Escape' || e.key === '?')) {
      toggle(false);
      e.preventDefault();
      e.stopImmediatePropagation();
      return;
    }
    if (e.key === '?' && !typing(document.activeElement)) {
      toggle(true);
      e.preventDefault();
      return;
    }
    if (typing(document.activeElement) || !help.hidden) return;
    const s = shortcuts.find((x) => x.keys.includes(e.key));
    if (!s) return;
    s.run();
    e.preventDefault();
  });
}
