#!/usr/bin/env node
// test_person.mjs - the converted NanoDet person detector (models/person.cfg
// + person.weights, run through common/persondet.c by $B/models/person-tool)
// against the original tfjs model's outputs in test/models/fixtures/person-*.json
// (written by models/scripts/nanodet-reference.mjs).
//
// Per photo: raw head outputs (124 channels x 3 strides, sampled) within
// RAW_TOL of tfjs; the decoded person boxes the same count, each IoU > 0.95
// and score within 0.01 of the reference's; plus what the photos show:
// person.jpg has a person >= 0.5, horses.jpg none, kite.jpg 6 (beach, all
// checked by eye), sample3.jpg 2. Input 320 is checked to still find
// person.jpg's person. Environment: GW_ROOT, B, MODELS (as test/run.sh sets).
import fs from 'fs';
import os from 'os';
import path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import { fileURLToPath } from 'url';

const root = process.env.GW_ROOT || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const B = process.env.B || 'build';
const MODELS = path.resolve(root, process.env.MODELS || 'models/out');
const tool = path.resolve(root, B, 'models/person-tool');
const fixtures = path.join(root, 'test/models/fixtures');
const RAW_TOL = 1e-3;   // measured max |darknet - tfjs| is ~1.2e-5 on all heads
const EXPECT = { person: null, horses: 0, kite: 6, group2: 2 };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-person-'));
let failed = 0;
const ok = (what) => console.log(`ok - ${what}`);
const notok = (what, why) => { failed++; console.log(`not ok - ${what}: ${why}`); };
const check = (cond, what, why) => (cond ? ok(what) : notok(what, why));

function iou(a, b) {
	const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
	const x1 = Math.min(a.x + a.w, b.x + b.w), y1 = Math.min(a.y + a.h, b.y + b.h);
	const i = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
	return i / (a.w * a.h + b.w * b.h - i);
}

function toPPM(image) {
	const file = path.isAbsolute(image) ? image : path.join(root, image);
	const out = path.join(tmp, path.basename(file) + '.ppm');
	execFileSync('/usr/bin/convert', [file, '-colorspace', 'sRGB', '-type', 'TrueColor', '-depth', '8',
		`ppm:${out}`], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 60000 });
	return out;
}

function run(ppm, input, threshold, dump) {
	const args = [MODELS, String(input), ppm, String(threshold)];
	if (dump) args.push(dump);
	const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 120000 });
	if (r.status !== 0) throw new Error(`person-tool exit ${r.status}: ${(r.stderr || '').trim()}`);
	return JSON.parse(r.stdout);
}

function main() {
	if (!fs.existsSync(path.join(MODELS, 'person.weights'))) {
		notok('person model present', `${MODELS}/person.weights missing (make models)`);
		return;
	}
	if (!fs.existsSync(tool)) {
		spawnSync('make', ['-s', `B=${B}`, path.join(B, 'models/person-tool')],
			{ cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300000 });
	}
	if (!fs.existsSync(tool)) { notok('person-tool built', `${tool} missing`); return; }

	const names = fs.readdirSync(fixtures).filter((f) => /^person-.*\.json$/.test(f)).sort();
	check(names.length >= 3, 'person fixtures present', `${names.length} in ${fixtures}`);
	let person416 = null;
	for (const f of names) {
		const name = f.replace(/^person-|\.json$/g, '');
		const fx = JSON.parse(fs.readFileSync(path.join(fixtures, f), 'utf8'));
		let got;
		const dump = fs.mkdtempSync(path.join(tmp, 'dump-'));
		try {
			got = run(toPPM(fx.image), fx.input, fx.threshold, dump);
		} catch (e) { notok(`${name}: persondet runs`, e.message); continue; }

		let worst = 0, where = '';
		fx.heads.forEach((h, k) => {
			const buf = fs.readFileSync(path.join(dump, `head${k}.f32`));
			const raw = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
			if (raw.length !== h.c * h.w * h.h) { worst = Infinity; where = `head${k} size ${raw.length}`; return; }
			const cells = h.w * h.h;
			const cmp = (i, ref) => {
				const d = Math.abs(raw[i] - ref);
				if (!(d <= worst)) { worst = d; where = `stride ${h.stride} index ${i}: ${raw[i]} vs ${ref}`; }
			};
			h.sample.forEach((v, j) => cmp(j * fx.step, v));
			h.cell.forEach((v, ch) => cmp(ch * cells + h.best, v));
		});
		check(worst <= RAW_TOL, `${name}: raw head outputs match tfjs within ${RAW_TOL} (max ${worst.toExponential(2)})`,
			`worst ${where}`);

		const ref = fx.persons, p = got.persons;
		let boxes = p.length === ref.length ? '' : `count ${p.length} vs reference ${ref.length}`;
		ref.forEach((r, i) => {
			if (boxes || !p[i]) return;
			const v = iou(r, p[i]);
			if (!(v > 0.95) || Math.abs(r.score - p[i].score) > 0.01)
				boxes = `box ${i}: IoU ${v.toFixed(3)}, score ${p[i].score} vs ${r.score}`;
		});
		check(!boxes, `${name}: ${ref.length} person boxes match tfjs (IoU > 0.95, score +-0.01)`, boxes);

		if (name === 'person') {
			person416 = p.find((b) => b.score >= 0.5);
			check(person416, 'person.jpg: a person with score >= 0.5',
				`best ${p.length ? p[0].score : 'none'}`);
		} else if (name in EXPECT) {
			check(p.length === EXPECT[name], `${name}: ${EXPECT[name]} persons at score >= ${fx.threshold}`,
				`got ${p.length}`);
		}
	}

	if (person416) {
		try {
			const r = run(toPPM('/usr/share/darknet/data/person.jpg'), 320, 0.25);
			const v = r.persons.length ? iou(r.persons[0], person416) : 0;
			check(r.input === 320 && r.persons.length >= 1 && v > 0.8,
				'input 320 (resize_network): person.jpg\'s best box at 0.25 has IoU > 0.8 with 416\'s',
				`${r.persons.length} persons, IoU ${v.toFixed(3)}`);
		} catch (e) { notok('input 320 runs', e.message); }
	}

	const r = spawnSync(tool, [path.join(tmp, 'no-such-dir'), '416', toPPM('/usr/share/darknet/data/person.jpg'), '0.5'],
		{ encoding: 'utf8', timeout: 60000 });
	check(r.status === 1 && /no-such-dir\/person\.cfg/.test(r.stderr),
		'missing model files: clear error naming the path, no crash', `status ${r.status}: ${r.stderr}`);
	const bad = spawnSync(tool, [MODELS, '300', toPPM('/usr/share/darknet/data/person.jpg'), '0.5'],
		{ encoding: 'utf8', timeout: 60000 });
	check(bad.status === 1 && /must be 416 or 320/.test(bad.stderr), 'unsupported input size refused',
		`status ${bad.status}: ${bad.stderr}`);
}

try {
	main();
} catch (e) {
	notok('test_person', e.stack);
} finally {
	fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
