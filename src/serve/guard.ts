/**
 * What every request to `deepvis serve` passes before it is answered. The Host check defeats DNS
 * rebinding: a page on evil.example can make its own name resolve to 127.0.0.1 and then read,
 * with the browser's same-origin blessing, whatever a local server answers — unless the server
 * refuses requests whose Host is not its own address. Only GET and HEAD exist. Every response
 * carries nosniff and a Content-Security-Policy that lets the app run its own scripts and wasm
 * ('wasm-unsafe-eval'), workers from blob: URLs (tfjs's wasm threads) and nothing from elsewhere.
 */
import * as os from 'node:os';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

const hostPort = (host: string, port: number) =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`.toLowerCase();

/**
 * The Host header values the server answers: its bound address and port; for a loopback bind
 * also 127.0.0.1, localhost and [::1]; for a wildcard bind (0.0.0.0, ::) every local interface
 * address and the machine's name. Port 80 may be omitted, as browsers do.
 */
export function allowedHosts(bound: string, port: number): Set<string> {
  const names = new Set<string>([bound]);
  if (LOOPBACK.has(bound) || WILDCARD.has(bound)) for (const h of LOOPBACK) names.add(h);
  if (WILDCARD.has(bound)) {
    names.add(os.hostname());
    for (const list of Object.values(os.networkInterfaces()))
      for (const a of list ?? []) names.add(a.address.replace(/%.*$/, ''));
  }
  const out = new Set<string>();
  for (const n of names) {
    if (WILDCARD.has(n)) continue;
    out.add(hostPort(n, port));
    if (port === 80) out.add(n.includes(':') ? `[${n}]`.toLowerCase() : n.toLowerCase());
  }
  return out;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** Why a request is refused before routing ([status, message]), or null when it may proceed. */
export function refusal(
  method: string | undefined,
  host: string | undefined,
  allowed: ReadonlySet<string>,
): [number, string] | null {
  if (method !== 'GET' && method !== 'HEAD')
    return [405, `method ${method ?? '?'} not allowed (GET and HEAD only)`];
  if (!host || !allowed.has(host.toLowerCase()))
    return [
      403,
      'Host header not allowed: deepvis serve answers only its own address (DNS rebinding protection)',
    ];
  return null;
}

/** Path segments of a request URL, decoded; null when the encoding is malformed (→ 400). */
export function pathParts(rawUrl: string | undefined): { parts: string[]; url: URL } | null {
  try {
    const url = new URL(rawUrl ?? '/', 'http://localhost');
    return { parts: url.pathname.split('/').filter(Boolean).map(decodeURIComponent), url };
  } catch {
    return null;
  }
}
