// kernels-ort.mjs - onnxruntime's forward time for the same networks, one
// thread, for test/bench/models-kernels.sh (the models converted by
// models/tools/darknet2onnx.py).
//
// Usage: node kernels-ort.mjs time RUNS INPUTDIR NAME:SIZE:MODEL.onnx...
//        node kernels-ort.mjs check DUMPDIR MODEL.onnx
// time: per network, "NAME SIZE MS": the median of RUNS forward passes
// (process CPU time, after one warm-up) on DUMPDIR-style input INPUTDIR/
// NAME-SIZE/input.f32 when present (else zeros... never: the script makes
// it), intra_op_num_threads = inter_op_num_threads = 1, sequential.
// check: runs MODEL on DUMPDIR/input.f32 and compares every output outI
// with darknet's DUMPDIR/outI.f32 (kernels-bench --dump); prints
// "OUTPUT max_abs_diff max_abs relative" per output and "worst REL": the
// largest difference over all outputs / the largest output value (a
// sigmoid head of small values alone would measure onnxruntime's
// approximation of the logistic, ~1e-7 absolute, not the conversion).
// onnxruntime-node lives in test/bench/ort/node_modules (bench-only:
// deploy/install-deps.sh --bench).
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'ort', 'package.json'));
const ort = require('onnxruntime-node');

const opts = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

function floats(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const k = s.length;
  return k % 2 ? s[(k - 1) / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}

async function session(model) {
  return ort.InferenceSession.create(model, opts);
}

function feed(sess, data, size) {
  const dims = [1, data.length / (size * size), size, size];
  return { [sess.inputNames[0]]: new ort.Tensor('float32', data, dims) };
}

async function time(runs, inputDir, specs) {
  for (const spec of specs) {
    const [name, size, model] = spec.split(':');
    const s = Number(size);
    const sess = await session(model);
    const path = join(inputDir, `${name}-${size}`, 'input.f32');
    const data = existsSync(path) ? floats(path) : new Float32Array(3 * s * s).fill(0.5);
    const f = feed(sess, data, s);
    await sess.run(f);
    const ts = [];
    for (let r = 0; r < runs; r++) {
      const t0 = cpuMs();
      await sess.run(f);
      ts.push(cpuMs() - t0);
    }
    console.log(`${name} ${size} ${median(ts).toFixed(3)}`);
    await sess.release();
  }
}

async function check(dir, model) {
  const sess = await session(model);
  const input = floats(join(dir, 'input.f32'));
  const size = Math.round(Math.sqrt(input.length / 3));
  const out = await sess.run(feed(sess, input, size));
  let worst = 0, alldiff = 0, allmax = 0;
  for (const name of sess.outputNames) {
    const got = out[name].data, want = floats(join(dir, `${name}.f32`));
    if (got.length !== want.length) {
      console.log(`${name} size ${got.length} != darknet's ${want.length}`);
      worst = Infinity;
      continue;
    }
    let diff = 0, max = 0;
    for (let i = 0; i < got.length; i++) {
      diff = Math.max(diff, Math.abs(got[i] - want[i]));
      max = Math.max(max, Math.abs(want[i]));
    }
    const rel = max > 0 ? diff / max : diff;
    alldiff = Math.max(alldiff, diff);
    allmax = Math.max(allmax, max);
    console.log(`${name} ${diff.toExponential(2)} ${max.toExponential(3)} ${rel.toExponential(2)}`);
  }
  if (worst !== Infinity) worst = allmax > 0 ? alldiff / allmax : alldiff;
  console.log(`worst ${worst.toExponential(2)}`);
  await sess.release();
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'time' && args.length >= 3) {
  await time(Number(args[0]), args[1], args.slice(2));
} else if (mode === 'check' && args.length === 2) {
  await check(args[0], args[1]);
} else {
  console.error('usage: kernels-ort.mjs time RUNS INPUTDIR NAME:SIZE:MODEL... | check DUMPDIR MODEL');
  process.exit(2);
}
