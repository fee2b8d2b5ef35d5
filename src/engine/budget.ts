/**
 * The memory budget: how many bytes one deepvis process may plan to hold (2 GB unless
 * DEEPVIS_MEMORY_MB says otherwise; in a browser, where there is no process, 2 GB). Every check made
 * before work — a batch's estimate, a loader's declared tensor sizes, a zip's inflated size — is
 * made against this one number.
 */
export const DEFAULT_BUDGET_MB = 2048;

export function memoryBudget(): number {
  const env = typeof process === 'undefined' ? undefined : process.env?.DEEPVIS_MEMORY_MB;
  const mb = Number(env);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_BUDGET_MB) * 2 ** 20;
}

export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : bytes >= 2 ** 20 ? `${Math.ceil(bytes / 2 ** 20)} MB` : `${Math.ceil(bytes).toLocaleString('en')} bytes`;
}
