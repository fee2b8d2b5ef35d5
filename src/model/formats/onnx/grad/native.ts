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

/** Session runs of each kind so far, in this process (tests and benches read which path ran). */
export const nativeRuns = { forward: 0, backward: 0, fused: 0 };
/** The name gradient graphs give the model file they read weights from. */
const FILE = 'deepvis-model.onnx';
type External = ReadonlyArray<{ path: string; data: Uint8Array }>;
const PLAIN: BackwardRules = { relu: 'gradient' };

const float = (h: HostArray): HostValue => ({ type: 'float32', data: h.data, dims: h.dims });
const host = (v: HostValue): HostArray => ({ data: v.data as Float32Array, dims: v.dims });

/** Rows [from, to) of a batch-first array (a view). */
function rows<T extends HostArray | HostValue>(a: T, from: number, to: number): T {
  const per = a.data.length / a.dims[0];
  return {
    ...a,
    data: a.data.subarray(from * per, to * per),
    dims: [to - from, ...a.dims.slice(1)],
  } as T;
}

/** Batch-first arrays joined along the batch. */
function joinRows(parts: readonly HostArray[]): HostArray {
  if (parts.length === 1) return parts[0];
  const data = new Float32Array(parts.reduce((a, p) => a + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { data, dims: [parts.reduce((a, p) => a + p.dims[0], 0), ...parts[0].dims.slice(1)] };
}

/** [from, to) row ranges of a batch of n in runs of at most `per` rows. */
const runs = (n: number, per: number): Array<[number, number]> =>
  Array.from(
    { length: Math.ceil(n / per) },
    (_, k) => [k * per, Math.min(n, (k + 1) * per)] as [number, number],
  );

interface Sessions {
  readonly tapNames: readonly string[];
  readonly dx: string;
  readonly dDelta: string | null;
  readonly saved: readonly SavedTensor[];
  readonly forward: NativeSession;
  readonly backward: Map<string, { session: NativeSession; reads: readonly SavedTensor[] }>;
  fused?: NativeSession;
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
    if (s) return s;
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
    // Rows go in runs (each image's gradient depends on that image alone, as for the forward runner).
    const chunks = runs(x.dims[0], this.rowsPerRun).map(([from, to]) => {
      const feeds: Record<string, HostValue> = {
        [GRAPH_X]: float(rows(x, from, to)),
        ...(delta ? { [GRAPH_DELTA]: float(rows(delta, from, to)) } : {}),
      };
      nativeRuns.forward++;
      const out = s.forward.run(feeds, [...s.tapNames, ...s.saved.map((t) => t.name)]);
      return {
        from,
        to,
        taps: out.slice(0, k).map(host),
        saved: new Map(s.saved.map((t, i) => [t.name, out[k + i]])),
      };
    });
    return {
      taps: s.tapNames.map((_, i) => joinRows(chunks.map((c) => c.taps[i]))),
      backward: (dys, want) => {
        const b = this.backwardFor(s, rules, want);
        const fetch = [
          ...(want.dx || !s.dDelta ? [s.dx] : []),
          ...(want.dDelta && s.dDelta ? [s.dDelta] : []),
        ];
        const parts = chunks.map((c) => {
          const feeds: Record<string, HostValue> = Object.fromEntries(
            dys.map((d, i) => [graphDy(i), float(rows(d, c.from, c.to))]),
          );
          for (const t of b.reads) feeds[t.name] = c.saved.get(t.name)!;
          nativeRuns.backward++;
          return b.session.run(feeds, fetch).map(host);
        });
        const at = (name: string | null) =>
          name && fetch.includes(name)
            ? joinRows(parts.map((p) => p[fetch.indexOf(name)]))
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
    const spans = runs(x.dims[0], this.rowsPerRun);
    const feedsOf = (from: number, to: number): Record<string, HostValue> => ({
      [GRAPH_X]: float(rows(x, from, to)),
      ...(delta ? { [GRAPH_DELTA]: float(rows(delta, from, to)) } : {}),
    });
    const taps = spans.map(
      ([from, to]) => (
        nativeRuns.forward++,
        s.forward.run(feedsOf(from, to), s.tapNames).map(host)
      ),
    );
    return {
      taps: s.tapNames.map((_, i) => joinRows(taps.map((t) => t[i]))),
      backward: (dys, want) => {
        const fused = this.fusedSession(s, rules);
        const fetch = [
          ...(want.dx || !s.dDelta ? [s.dx] : []),
          ...(want.dDelta && s.dDelta ? [s.dDelta] : []),
        ];
        const parts = spans.map(([from, to]) => {
          const feeds = feedsOf(from, to);
          dys.forEach((d, i) => (feeds[graphDy(i)] = float(rows(d, from, to))));
          nativeRuns.fused++;
          return fused.run(feeds, fetch).map(host);
        });
        const at = (name: string | null) =>
          name && fetch.includes(name)
            ? joinRows(parts.map((p) => p[fetch.indexOf(name)]))
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
    for (const s of this.byRules.values()) {
      s.forward.dispose();
      s.fused?.dispose();
      for (const b of s.backward.values()) b.session.dispose();
    }
    this.byRules.clear();
  }
}

/** An ONNX model's native gradients: whether they work, and the tape op for each set of taps. */
export class OnnxGradients {
  private readonly ops = new Map<string, { op: NativeTapOp; program: TapProgram }>();
  private verdict: { ok: boolean; why: string } | null = null;

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
   * A forward of these taps through the forward session of their gradient program, when one is
   * open: the model's forwards then need no session of their own for these taps (a session holds
   * the weights again, ≈ 85 MB for ResNet-18).
   */
  forwardOnly(taps: readonly string[]): ((x: HostArray) => HostArray[]) | null {
    return this.ops.get(`${taps.join('\u0000')}|`)?.program.openForward() ?? null;
  }

  /** The tape op for these taps (ONNX tensor names) and offset tensor. */
  op(taps: readonly string[], offset?: string): NativeTapOp {
    const key = `${taps.join('\u0000')}|${offset ?? ''}`;
    let entry = this.ops.get(key);
    if (entry) {
      this.ops.delete(key);
      this.ops.set(key, entry); // most recently used last
      return entry.op;
    }
    const program = new TapProgram(
      this.engine,
      this.graphs,
      (rules) => this.build(taps, offset, rules),
      this.rowsPerRun,
    );
    entry = { op: new NativeTapOp(program), program };
    this.ops.set(key, entry);
    while (this.ops.size > KEPT_TAP_SETS) {
      const [oldest, old] = this.ops.entries().next().value as [string, { program: TapProgram }];
      this.ops.delete(oldest);
      old.program.dispose();
    }
    return entry.op;
  }

  dispose(): void {
    for (const e of this.ops.values()) e.program.dispose();
    this.ops.clear();
  }
}
