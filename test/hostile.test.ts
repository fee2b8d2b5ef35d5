/**
 * Hostile files, round two (issue 27): one table of cases, as the invariants table is one, each
 * made in the test — links and FIFOs planted in every tree deepvis reads or writes, bombs built in
 * memory, ONNX files with huge dims and pads written with our own encoder, 100,000-node graphs,
 * names that collide as file names, links with script schemes, a full disk. Every case fails
 * without its fix (each was checked once against the code before it).
 * Surfaces: fence, store, merge, evaluation, serve, xss, fifo, onnx, keras, idx, names, deep,
 * sentences, budget, diverge.
 */
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setup } from './helpers.js';
import { closeSockets, scratchRoot, type Case } from './hostile/kit.js';
import { BOMB_CASES } from './hostile/bomb_cases.js';
import { CLI_CASES } from './hostile/cli_cases.js';
import { DEEP_CASES } from './hostile/deep_cases.js';
import { FENCE_CASES } from './hostile/fs_cases.js';
import { FIFO_CASES } from './hostile/fifo_cases.js';
import { NAME_CASES } from './hostile/names_cases.js';
import { ONNX_CASES } from './hostile/onnx_cases.js';
import { PAGE_CASES } from './hostile/page_cases.js';
import { SERVE_CASES } from './hostile/serve_cases.js';
import { STORE_CASES } from './hostile/store_cases.js';

const TABLE: Case[] = [
  ...FENCE_CASES,
  ...STORE_CASES,
  ...PAGE_CASES,
  ...FIFO_CASES,
  ...ONNX_CASES,
  ...BOMB_CASES,
  ...NAME_CASES,
  ...DEEP_CASES,
  ...SERVE_CASES,
  ...CLI_CASES,
];

before(() => setup('wasm'));
after(async () => {
  await closeSockets();
  const s = scratchRoot();
  if (s) rmSync(s, { recursive: true, force: true });
});

describe(`hostile files: ${TABLE.length} cases`, () => {
  for (const c of TABLE)
    it(`${c.surface}: ${c.name}`, { timeout: c.timeout ?? 30_000 }, () => c.run());
});
