#!/usr/bin/env node
// face-reference.mjs - run face-api's tiny_face_detector with TensorFlow.js
// itself (pure-JS cpu backend, tfjs's own weight dequantization, face-api's
// graph from src/tinyYolov2/TinyYolov2Base.ts runMobilenet, its box decoding
// from extractBoxes and tf.image.nonMaxSuppression) and write the reference
// fixtures that test/models/test_face_ref compares darknet against.
//
// Usage: node models/scripts/face-reference.mjs [--out test/models/fixtures]
// Pixels come from `/usr/bin/convert FILE ppm:-` on both sides, so no JPEG
// decoder difference enters the comparison.
//
// face-api's own bundles cannot be imported under node 20 here (the esm
// bundle's util shim fails, the nobundle build wants tfjs-backend-wasm), so
// the graph is restated below op for op with the same tf calls.
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODEL = path.join(ROOT, 'node_modules/@vladmandic/face-api/model');
const MEAN_RGB = [117.001, 114.697, 97.404];
const ANCHORS = [[1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061],
	[4.266906, 5.178857], [9.041765, 10.66308]];
const IOU = 0.4, THRESH = 0.5;
// Images: path as the C test opens it (relative to the repo root or absolute).
const IMAGES = [
	'node_modules/@vladmandic/face-api/demo/sample1.jpg',
	'/usr/share/darknet/data/person.jpg',
	'/usr/share/doc/libdlib19.1/examples/faces/2008_001009.jpg',
];
const INPUTS = [224, 416];
const SUBSET = 512; // raw values written per image and input

function readPPM(file) {
	const buf = execFileSync('/usr/bin/convert', [path.resolve(ROOT, file), '-depth', '8', 'ppm:-'],
		{ maxBuffer: 1 << 28 });
	// P6\n<w> <h>\n255\n<data>
	const hdr = buf.subarray(0, 64).toString('latin1').match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
	if (!hdr) throw new Error(`${file}: not a P6 ppm`);
	const w = +hdr[1], h = +hdr[2];
	return { w, h, rgb: new Uint8Array(buf.subarray(hdr[0].length, hdr[0].length + w * h * 3)) };
}

async function loadParams() {
	const manifest = JSON.parse(fs.readFileSync(path.join(MODEL, 'tiny_face_detector_model-weights_manifest.json')));
	const bin = fs.readFileSync(path.join(MODEL, 'tiny_face_detector_model.bin'));
	const ab = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
	return tf.io.decodeWeights(ab, manifest[0].weights);
}

const leaky = (x) => tf.tidy(() => {
	const min = tf.mul(x, tf.scalar(0.10000000149011612));
	return tf.add(tf.relu(tf.sub(x, min)), min);
});
const sepConv = (x, p, i) => tf.tidy(() => {
	let out = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
	out = tf.separableConv2d(out, p[`conv${i}/depthwise_filter`], p[`conv${i}/pointwise_filter`], [1, 1], 'valid');
	return leaky(tf.add(out, p[`conv${i}/bias`]));
});

// forward - face-api's toBatchTensor(inputSize, isCenterInputs=false) +
// normalize + runMobilenet(isFirstLayerConv2d).
function forward(p, img, inputSize) {
	return tf.tidy(() => {
		let x = tf.tensor3d(img.rgb, [img.h, img.w, 3], 'int32').expandDims();
		const side = Math.max(img.w, img.h);
		// padToSquare: zeros at the bottom or right
		if (img.h < side) x = tf.concat([x, tf.zeros([1, side - img.h, img.w, 3], 'int32')], 1);
		if (img.w < side) x = tf.concat([x, tf.zeros([1, side, side - img.w, 3], 'int32')], 2);
		if (side !== inputSize) x = tf.image.resizeBilinear(x, [inputSize, inputSize], false, false);
		x = tf.cast(x, 'float32');
		x = tf.sub(x, tf.tensor1d(MEAN_RGB).reshape([1, 1, 1, 3])).div(255);
		let out = leaky(tf.add(tf.conv2d(x, p['conv0/filters'], [1, 1], 'valid'), p['conv0/bias']));
		for (let i = 1; i <= 5; i++) {
			out = tf.maxPool(out, [2, 2], [2, 2], 'same');
			out = sepConv(out, p, i);
		}
		out = tf.maxPool(out, [2, 2], [1, 1], 'same');
		return tf.add(tf.conv2d(out, p['conv8/filters'], [1, 1], 'valid'), p['conv8/bias']);
	});
}

const sigmoid = (v) => 1 / (1 + Math.exp(-v));

// decode - TinyYolov2Base.extractBoxes + detect's NMS, boxes in image pixels
// (relative to the padded square, as face-api's ObjectDetection).
async function decode(out, img, inputSize) {
	const n = out.shape[1];
	const d = await out.data();
	const side = Math.max(img.w, img.h);
	const boxes = [], scores = [];
	for (let row = 0; row < n; row++)
		for (let col = 0; col < n; col++)
			for (let a = 0; a < 5; a++) {
				const o = ((row * n + col) * 5 + a) * 5;
				const score = sigmoid(d[o + 4]);
				if (score <= THRESH) continue;
				const cx = (col + sigmoid(d[o])) / n, cy = (row + sigmoid(d[o + 1])) / n;
				const bw = Math.exp(d[o + 2]) * ANCHORS[a][0] / n, bh = Math.exp(d[o + 3]) * ANCHORS[a][1] / n;
				boxes.push([cx - bw / 2, cy - bh / 2, bw, bh]);
				scores.push(score);
			}
	if (!boxes.length) return [];
	const t = tf.tensor2d(boxes.map(([x, y, w, h]) => [y * inputSize, x * inputSize, (y + h) * inputSize, (x + w) * inputSize]));
	const keep = await tf.image.nonMaxSuppressionAsync(t, scores, 100, IOU, THRESH);
	const idx = Array.from(await keep.data());
	t.dispose(); keep.dispose();
	return idx.map((i) => ({ x: boxes[i][0] * side, y: boxes[i][1] * side, w: boxes[i][2] * side, h: boxes[i][3] * side, score: scores[i] }));
}

async function main() {
	let outDir = path.join(ROOT, 'test/models/fixtures');
	const argv = process.argv.slice(2);
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--out') outDir = path.resolve(argv[++i]);
		else { console.error(`usage: face-reference.mjs [--out DIR]`); process.exit(2); }
	}
	await tf.setBackend('cpu');
	const p = await loadParams();
	fs.mkdirSync(outDir, { recursive: true });
	for (const file of IMAGES) {
		const img = readPPM(file);
		for (const input of INPUTS) {
			const out = forward(p, img, input);
			const d = await out.data();
			const [, gh, gw, gc] = out.shape;
			let min = Infinity, max = -Infinity, sum = 0, sumabs = 0;
			for (const v of d) { min = Math.min(min, v); max = Math.max(max, v); sum += v; sumabs += Math.abs(v); }
			const lines = [
				'# face detector reference: TensorFlow.js ' + tf.version.tfjs + ' cpu, face-api 1.7.15 tiny_face_detector',
				'# written by models/scripts/face-reference.mjs; raw conv8 output NHWC, idx = (row*W+col)*25 + anchor*5 + k',
				`image ${file} ${img.w} ${img.h}`,
				`input ${input}`,
				`grid ${gw} ${gh} ${gc}`,
				`stats ${min.toPrecision(9)} ${max.toPrecision(9)} ${(sum / d.length).toPrecision(9)} ${(sumabs / d.length).toPrecision(9)}`,
			];
			const step = Math.max(1, Math.floor(d.length / SUBSET));
			for (let i = 0; i < d.length; i += step) lines.push(`v ${i} ${d[i].toPrecision(9)}`);
			// every objectness value, so the strongest cells are always compared
			for (let i = 4; i < d.length; i += 5) if (i % step) lines.push(`v ${i} ${d[i].toPrecision(9)}`);
			const dets = await decode(out, img, input);
			for (const b of dets)
				lines.push(`box ${b.x.toFixed(4)} ${b.y.toFixed(4)} ${b.w.toFixed(4)} ${b.h.toFixed(4)} ${b.score.toFixed(6)}`);
			out.dispose();
			const name = `face-${path.basename(file, '.jpg')}-${input}.txt`;
			fs.writeFileSync(path.join(outDir, name), lines.join('\n') + '\n');
			console.error(`face-reference: ${name}: ${gw}x${gh}x${gc}, ${dets.length} boxes`);
		}
	}
}

main().catch((e) => { console.error(`face-reference: ${e.stack || e}`); process.exit(1); });
