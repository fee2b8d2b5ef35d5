/**
 * ONNX models' gradients on onnxruntime: the gradient graphs build.ts writes, run on the engine
 * that runs the file's forwards, as the programs engine/native_gradient.ts enters into tfjs's tape.
 * Per set of taps (and offset) and rule set: a forward session (image → taps and what the backward
 * reads), a backward session (tap gradients and those tensors → input gradient) and, once a
 * linear objective repeats its tap gradient (or the forward is recomputed: gradientMemory), a fused
 * session (both in one run). Sessions hold
 * their own copy of the weights, so only a few sets are kept.
 */
import type {
  GraphFile,
  HostArray,
  HostValue,
  NativeGraphs,
  NativeSession,
} from '../../../../engine/forward_runner.js';
import { gradientMemory } from '../../../../engine/gradient_engine.js';
import {
  NativeTapOp,
  type NativeForward,
  type NativeTapProgram,
} from '../../../../engine/native_gradient.js';
import { recent } from '../../../../engine/recent.js';
import type { BackwardRules } from '../../../../engine/rules.js';
import type { Program } from '../compile.js';
import type { OnnxNode } from '../decode.js';
import { decodeModelProto } from '../encode.js';
import {
  buildGradient,
  GRAPH_DELTA,
  GRAPH_X,
  graphDy,
  type GradGraphs,
  type SavedTensor,
} from './build.js';
import { ruleKey } from './rule_sets.js';
import type { ConvVjp } from './vjp.js';
import { NoVjp } from './vjp_types.js';

/** What the loader keeps of the decoded graph for building gradient graphs later. */
export interface GradFacts {
  readonly nodes: readonly OnnxNode[];
  readonly opset: number;
  readonly inputName: string;
}

const KEPT_TAP_SETS = 2;
/** Rule sets (plain, guided, an LRP composite, DeepLIFT…) whose sessions a set of taps keeps open. */
const KEPT_RULE_SETS = 3;

/** Session runs of each kind so far, in this process (tests and benches read which path ran). */
export const nativeRuns = { forward: 0, backward: 0, fused: 0 };
/** The name gradient graphs give the model file they read weights from. */
const FILE = 'deepvis-model.onnx';

/** A fused gradient graph as a file: image NHWC in `x`, seeds at the taps in `dys`, the taps and d/dx out. */
export interface FusedGraph extends GraphFile {
  /** Files the graph's initializers point into (the model's own bytes), for sessions that take them. */
  readonly external: External;
  readonly x: string;
  readonly dys: readonly string[];
  /** The taps' outputs (logical, ONNX order), as TapProgram.fused gives them. */
  readonly taps: readonly string[];
  readonly dx: string;
}
type External = ReadonlyArray<{ path: string; data: Uint8Array }>;
const PLAIN: BackwardRules = { relu: 'gradient' };

const float = (h: HostArray): HostValue => ({ type: 'float32', data: h.data, dims: h.dims });
const host = (v: HostValue): HostArray => ({ data: v.data as Float32Array, dims: v.dims });

/** Source row ranges [from, to), in the order one native run takes them. */
type RowRun = ReadonlyArray<readonly [number, number]>;

const rowCount = (run: RowRun) => run.reduce((a, [from, to]) => a + to - from, 0);

/** [from, to) ranges of n rows in spans of at most `per`. */
const spans = (n: number, per: number): Array<[number, number]> =>
  Array.from(
    { length: Math.ceil(n / per) },
    (_, k) => [k * per, Math.min(n, (k + 1) * per)] as [number, number],
  );

/**
 * The native runs of a batch of n images, at most `per` rows each (the runs' working memory is
 * that of a few rows). Rows a rule reads together stay in one run: DeepLIFT's batch is [inputs;
 * references] and row i goes with row n/2 + i; LRP's z^B reads its two bound rows (the last two)
 * in every run.
 */
export function rowRuns(n: number, per: number, rules: BackwardRules): RowRun[] {
  if (rules.rescale) {
    const m = n / 2;
    return spans(m, Math.max(1, Math.floor(per / 2))).map(([a, b]) => [
      [a, b],
      [m + a, m + b],
    ]);
  }
  if (rules.relevance?.boundRows && n > 2) {
    const m = n - 2;
    return spans(m, Math.max(1, per - 2)).map(([a, b]) => [
      [a, b],
      [m, n],
    ]);
  }
  return spans(n, per).map((r) => [r]);
}

/**
 * The rows of `run` from an array of n images whose axis 0 holds k rows per image (k = 1 for images,
 * the heads for attention probabilities laid out [B·heads, …], batch outer).
 */
export function takeRows<T extends HostArray | HostValue>(a: T, run: RowRun, n: number): T {
  const k = a.dims[0] / n;
  if (!Number.isInteger(k) || k < 1)
    throw new Error(
      `gradient graph: a tensor of ${a.dims[0]} rows does not split into ${n} images`,
    );
  const per = (a.data.length / a.dims[0]) * k;
  const dims = [rowCount(run) * k, ...a.dims.slice(1)];
  if (run.length === 1) {
    const [from, to] = run[0];
    return { ...a, data: a.data.subarray(from * per, to * per), dims } as T;
  }
  const data = new (a.data.constructor as Float32ArrayConstructor)(rowCount(run) * per);
  let at = 0;
  for (const [from, to] of run) {
    data.set(a.data.subarray(from * per, to * per) as Float32Array, at);
    at += (to - from) * per;
  }
  return { ...a, data, dims } as T;
}

/** The parts the runs gave, put back in image order (a row two runs share comes from the last). */
export function putRows(
  parts: readonly HostArray[],
  runs: readonly RowRun[],
  n: number,
): HostArray {
  if (parts.length === 1 && runs[0].length === 1 && rowCount(runs[0]) === n) return parts[0];
  const k = parts[0].dims[0] / rowCount(runs[0]);
  const per = (parts[0].data.length / parts[0].dims[0]) * k;
  const data = new Float32Array(n * per);
  parts.forEach((p, i) => {
    let at = 0;
    for (const [from, to] of runs[i]) {
      data.set(p.data.subarray(at, at + (to - from) * per), from * per);
      at += (to - from) * per;
    }
  });
  return { data, dims: [n * k, ...parts[0].dims.slice(1)] };
}

interface Sessions {
  readonly tapNames: readonly string[];
  readonly dx: string;
  readonly dDelta: string | null;
  readonly saved: readonly SavedTensor[];
  readonly forward: NativeSession;
  readonly backward: Map<string, { session: NativeSession; reads: readonly SavedTensor[] }>;
  fused?: NativeSession;
}

function disposeSessions(s: Sessions): void {
  s.forward.dispose();
  s.fused?.dispose();
  for (const b of s.backward.values()) b.session.dispose();
}

/** One set of taps: its sessions per rule set. */
class TapProgram implements NativeTapProgram {
  private readonly byRules = new Map<string, Sessions>();

  constructor(
    readonly engine: string,
    private readonly graphs: NativeGraphs,
    private readonly build: (rules: BackwardRules) => GradGraphs & { external: External },
    /** Rows per native run (a batch runs as several: the runs' working memory is that of a few rows). */
    private readonly rowsPerRun: number,
  ) {}

  private sessions(rules: BackwardRules): Sessions {
    const key = ruleKey(rules);
    let s = this.byRules.get(key);
    if (s) {
      this.byRules.delete(key);
      this.byRules.set(key, s); // most recently used last
      return s;
    }
    // Each set's sessions hold their own working copies: only the last few sets stay open.
    while (this.byRules.size >= KEPT_RULE_SETS) {
      const [oldest, old] = this.byRules.entries().next().value as [string, Sessions];
      this.byRules.delete(oldest);
      disposeSessions(old);
    }
    s = this.opened(() => this.open(rules));
    this.byRules.set(key, s);
    return s;
  }

  /** What `make` opens; the model bytes its build read are garbage after it, freed before a run allocates its own. */
  private opened<T>(make: () => T): T {
    const made = make();
    this.graphs.release?.();
    return made;
  }

  private open(rules: BackwardRules): Sessions {
    const built = this.build(rules);
    const forward = this.graphs.session(built.forward(), built.external);
    // Recomputing backward passes run the fused graph: no backward session unless asked for later.
    const back = gradientMemory() === 'saved' ? built.backward() : null;
    return {
      tapNames: built.tapNames,
      dx: built.dx,
      dDelta: built.dDelta,
      saved: built.saved,
      forward,
      backward: new Map(
        back
          ? [
              [
                'both',
                { session: this.graphs.session(back.bytes, built.external), reads: back.reads },
              ],
            ]
          : [],
      ),
    };
  }

  private backwardFor(s: Sessions, rules: BackwardRules, want: { dx: boolean; dDelta: boolean }) {
    const key = want.dx || !s.dDelta ? 'both' : 'delta';
    let b = s.backward.get(key);
    if (!b) {
      b = this.opened(() => {
        const built = this.build(rules);
        const back = key === 'both' ? built.backward() : built.backward(want);
        const known = new Set(s.saved.map((t) => t.name));
        if (back.reads.some((t) => !known.has(t.name)))
          throw new Error('gradient graph: backward graphs of one build disagree');
        return { session: this.graphs.session(back.bytes, built.external), reads: back.reads };
      });
      s.backward.set(key, b);
    }
    return b;
  }

  forward(x: HostArray, delta: HostArray | null, rules: BackwardRules): NativeForward {
    const s = this.sessions(rules);
    if (gradientMemory() === 'recompute') return this.recomputing(s, x, delta, rules);
    const k = s.tapNames.length;
    const n = x.dims[0];
    // Rows go in runs (each image's gradient depends on its own rows alone, as for the forward runner).
    const plan = rowRuns(n, this.rowsPerRun, rules);
    const chunks = plan.map((run) => {
      const feeds: Record<string, HostValue> = {
        [GRAPH_X]: float(takeRows(x, run, n)),
        ...(delta ? { [GRAPH_DELTA]: float(takeRows(delta, run, n)) } : {}),
      };
      nativeRuns.forward++;
      const out = s.forward.run(feeds, [...s.tapNames, ...s.saved.map((t) => t.name)]);
      return {
        run,
        taps: out.slice(0, k).map(host),
        saved: new Map(s.saved.map((t, i) => [t.name, out[k + i]])),
      };
    });
    return {
      taps: s.tapNames.map((_, i) =>
        putRows(
          chunks.map((c) => c.taps[i]),
          plan,
          n,
        ),
      ),
      backward: (dys, want) => {
        const b = this.backwardFor(s, rules, want);
        const fetch = [
          ...(want.dx || !s.dDelta ? [s.dx] : []),
          ...(want.dDelta && s.dDelta ? [s.dDelta] : []),
        ];
        // A backward that gives every gradient is the pass's last: each run's saved tensors are
        // dropped once read. Collecting them at once (a forced full collection) lowered ViT-B/16's
        // peak by 5% but slowed its next gradient steps by 1.3-2.1 s, so the collector picks its time.
        const last = fetch.length === (s.dDelta ? 2 : 1);
        const parts = chunks.map((c) => {
          const feeds: Record<string, HostValue> = Object.fromEntries(
            dys.map((d, i) => [graphDy(i), float(takeRows(d, c.run, n))]),
          );
          for (const t of b.reads) feeds[t.name] = c.saved.get(t.name)!;
          nativeRuns.backward++;
          const out = b.session.run(feeds, fetch).map(host);
          if (last) c.saved.clear();
          return out;
        });
        const at = (name: string | null) =>
          name && fetch.includes(name)
            ? putRows(
                parts.map((p) => p[fetch.indexOf(name)]),
                plan,
                n,
              )
            : undefined;
        return { dx: at(s.dx), dDelta: at(s.dDelta) };
      },
    };
  }

  /**
   * The forward keeps nothing but the image: the backward runs the fused graph on it and the tap
   * gradients, recomputing the forward inside that one run (gradientMemory() 'recompute').
   */
  private recomputing(
    s: Sessions,
    x: HostArray,
    delta: HostArray | null,
    rules: BackwardRules,
  ): NativeForward {
    const n = x.dims[0];
    const plan = rowRuns(n, this.rowsPerRun, rules);
    const feedsOf = (run: RowRun): Record<string, HostValue> => ({
      [GRAPH_X]: float(takeRows(x, run, n)),
      ...(delta ? { [GRAPH_DELTA]: float(takeRows(delta, run, n)) } : {}),
    });
    const taps = plan.map(
      (run) => (nativeRuns.forward++, s.forward.run(feedsOf(run), s.tapNames).map(host)),
    );
    return {
      taps: s.tapNames.map((_, i) =>
        putRows(
          taps.map((t) => t[i]),
          plan,
          n,
        ),
      ),
      backward: (dys, want) => {
        const fused = this.fusedSession(s, rules);
        const fetch = [
          ...(want.dx || !s.dDelta ? [s.dx] : []),
          ...(want.dDelta && s.dDelta ? [s.dDelta] : []),
        ];
        const parts = plan.map((run) => {
          const feeds = feedsOf(run);
          dys.forEach((d, i) => (feeds[graphDy(i)] = float(takeRows(d, run, n))));
          nativeRuns.fused++;
          return fused.run(feeds, fetch).map(host);
        });
        const at = (name: string | null) =>
          name && fetch.includes(name)
            ? putRows(
                parts.map((p) => p[fetch.indexOf(name)]),
                plan,
                n,
              )
            : undefined;
        return { dx: at(s.dx), dDelta: at(s.dDelta) };
      },
    };
  }

  private fusedSession(s: Sessions, rules: BackwardRules): NativeSession {
    s.fused ??= this.opened(() => {
      const built = this.build(rules);
      return this.graphs.session(built.fused(), built.external);
    });
    return s.fused;
  }

  fused(x: HostArray, delta: HostArray | null, dys: readonly HostArray[], rules: BackwardRules) {
    const s = this.sessions(rules);
    this.fusedSession(s, rules);
    const feeds: Record<string, HostValue> = {
      [GRAPH_X]: float(x),
      ...(delta ? { [GRAPH_DELTA]: float(delta) } : {}),
    };
    dys.forEach((d, i) => (feeds[graphDy(i)] = float(d)));
    const fetch = [...s.tapNames, s.dx, ...(s.dDelta ? [s.dDelta] : [])];
    nativeRuns.fused++;
    const out = s.fused!.run(feeds, fetch);
    const k = s.tapNames.length;
    return {
      taps: out.slice(0, k).map(host),
      dx: host(out[k]),
      dDelta: s.dDelta ? host(out[k + 1]) : undefined,
    };
  }

  /** A forward of the taps (image NHWC → taps in ONNX order) on a forward session already open, or null. */
  openForward(): ((x: HostArray) => HostArray[]) | null {
    const s = this.byRules.values().next().value as Sessions | undefined;
    if (!s) return null;
    return (x) => s.forward.run({ [GRAPH_X]: float(x) }, s.tapNames).map(host);
  }

  dispose(): void {
    for (const s of this.byRules.values()) disposeSessions(s);
    this.byRules.clear();
  }
}

/** An ONNX model's native gradients: whether they work, and the tape op for each set of taps. */
export class OnnxGradients {
  private readonly ops = new Map<string, { op: NativeTapOp; program: TapProgram }>();
  private verdict: { ok: boolean; why: string } | null = null;
  private readonly support = new Map<string, { ok: boolean; why: string }>();

  constructor(
    readonly engine: string,
    private readonly graphs: NativeGraphs,
    private readonly facts: GradFacts,
    private readonly program: Program,
    /** Rows per native run (the forward runner's budget). */
    private readonly rowsPerRun = Infinity,
    private readonly conv: ConvVjp = 'flip',
  ) {}

  private build(
    taps: readonly string[],
    offset: string | undefined,
    rules: BackwardRules,
  ): GradGraphs & { external: External } {
    const { nodes, opset, inputName } = this.facts;
    const bytes = this.graphs.modelBytes();
    const model = decodeModelProto(bytes);
    // Sessions read the file's weights from its bytes (external data in memory) instead of a copy in every graph.
    const file = this.graphs.externalData ? { path: FILE, bytes } : undefined;
    const built = buildGradient(
      { nodes, opset, inputName, program: this.program, model, file },
      { taps, offset, rules, conv: this.conv },
    );
    return Object.assign(built, { external: file ? [{ path: FILE, data: bytes }] : [] });
  }

  /** Whether every op between the image and the output has a VJP rule (built once, no session), and if not why. */
  status(): { ok: boolean; why: string } {
    if (!this.verdict) {
      try {
        this.build(this.program.outputs, undefined, PLAIN);
        this.graphs.release?.();
        this.verdict = { ok: true, why: 'every op has a VJP rule' };
      } catch (e) {
        this.verdict = {
          ok: false,
          why: e instanceof NoVjp ? `no VJP for ${e.message}` : (e as Error).message.split('\n')[0],
        };
      }
    }
    return this.verdict;
  }

  /**
   * Whether the gradient graph of these taps builds under a rule set (LRP, DeepLIFT: an op the
   * set has no rule for keeps that pass on tfjs), and if not why. Built once per taps and set.
   */
  supports(
    taps: readonly string[],
    offset: string | undefined,
    rules: BackwardRules,
  ): { ok: boolean; why: string } {
    const key = `${taps.join('\u0000')}|${offset ?? ''}|${ruleKey(rules)}`;
    let known = this.support.get(key);
    if (!known) {
      try {
        this.build(taps, offset, rules);
        known = { ok: true, why: 'every op on the path has a rule' };
      } catch (e) {
        if (!(e instanceof NoVjp)) throw e;
        known = { ok: false, why: e.message };
      } finally {
        this.graphs.release?.();
      }
      this.support.set(key, known);
    }
    return known;
  }

  /**
   * A forward of these taps through the forward session of their gradient program, when one is
   * open: the model's forwards then need no session of their own for these taps (a session holds
   * the weights again, ≈ 85 MB for ResNet-18).
   */
  forwardOnly(taps: readonly string[]): ((x: HostArray) => HostArray[]) | null {
    return this.ops.get(`${taps.join('\u0000')}|`)?.program.openForward() ?? null;
  }

  /**
   * The fused gradient graph of these taps under a rule set, as a file, for an engine outside the
   * tape: onnxruntime-web on WebGPU in the page runs only asynchronously (web/app's gpu view).
   */
  fusedGraph(taps: readonly string[], rules: BackwardRules): FusedGraph {
    try {
      const built = this.build(taps, undefined, rules);
      return {
        bytes: built.fused(),
        external: built.external,
        x: GRAPH_X,
        dys: taps.map((_, i) => graphDy(i)),
        taps: built.tapNames,
        dx: built.dx,
      };
    } finally {
      this.graphs.release?.();
    }
  }

  /** The tape op for these taps (ONNX tensor names) and offset tensor. */
  op(taps: readonly string[], offset?: string): NativeTapOp {
    const key = `${taps.join('\u0000')}|${offset ?? ''}`;
    return recent(
      this.ops,
      key,
      () => {
        const program = new TapProgram(
          this.engine,
          this.graphs,
          (rules) => this.build(taps, offset, rules),
          this.rowsPerRun,
        );
        return { op: new NativeTapOp(program), program };
      },
      KEPT_TAP_SETS,
      (old) => old.program.dispose(),
    ).op;
  }

  dispose(): void {
    for (const e of this.ops.values()) e.program.dispose();
    this.ops.clear();
  }
}
