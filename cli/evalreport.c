/* evalreport - the counts of `gatewatch eval` as text tables and as JSON. */
#include <math.h>
#include <stdio.h>

#include "evalreport.h"
#include "utf8.h"

static double
evalreport_pct(int num, int den)
{
	return den > 0 ? 100.0 * num / den : NAN;
}

/* evalreport_cell - "num/den pct%" in a fixed width. */
static void
evalreport_cell(FILE *out, int num, int den)
{
	char s[40];

	if (den == 0)
		snprintf(s, sizeof(s), "-");
	else
		snprintf(s, sizeof(s), "%d/%d %5.1f%%", num, den, evalreport_pct(num, den));
	fprintf(out, " %16s", s);
}

static void
evalreport_recall(FILE *out, const struct evalscore *st)
{
	int c, s, tot_a[EVALSCORE_NSIZE] = { 0 }, tot_h[EVALSCORE_NSIZE] = { 0 };
	int a40, h40, aall, hall;

	fprintf(out, "\nFace recall (found / annotated), by face size (larger side, px)\n");
	fprintf(out, "%-10s", "class");
	for (s = 0; s < EVALSCORE_NSIZE; s++)
		fprintf(out, " %16s", evalscore_size_names[s]);
	fprintf(out, " %16s %16s\n", "40+", "all");
	for (c = 0; c <= EVALSET_NCLASS; c++) {
		const int *an = c < EVALSET_NCLASS ? st->ann[c] : tot_a, *hn = c < EVALSET_NCLASS ? st->hit[c] : tot_h;

		if (c < EVALSET_NCLASS && !evalscore_class_present(st, c))
			continue;
		fprintf(out, "%-10s", c < EVALSET_NCLASS ? evalset_class_name(c) : "all");
		a40 = h40 = aall = hall = 0;
		for (s = 0; s < EVALSCORE_NSIZE; s++) {
			evalreport_cell(out, hn[s], an[s]);
			if (c < EVALSET_NCLASS) {
				tot_a[s] += an[s];
				tot_h[s] += hn[s];
			}
			aall += an[s];
			hall += hn[s];
			if (s >= 2) {
				a40 += an[s];
				h40 += hn[s];
			}
		}
		evalreport_cell(out, h40, a40);
		evalreport_cell(out, hall, aall);
		fputc('\n', out);
	}
}

static void
evalreport_mask(FILE *out, const struct evalscore *st)
{
	int c, s, p, right_all = 0, n_all = 0, right_any = 0, n_any = 0;

	fprintf(out, "\nMask class of matched faces of 40+ px (rows: annotated; columns: classifier)\n");
	fprintf(out, "%-10s", "annotated");
	for (p = 0; p < EVALSCORE_NPRED; p++)
		fprintf(out, " %9s", evalscore_pred_names[p]);
	fprintf(out, " %16s\n", "right");
	for (c = 0; c < EVALSET_FACE; c++) {
		int row[EVALSCORE_NPRED] = { 0 }, n = 0;

		for (s = 0; s < EVALSCORE_NSIZE; s++)
			for (p = 0; p < EVALSCORE_NPRED; p++) {
				if (s >= 2)
					row[p] += st->conf[s][c][p];
				n_any += st->conf[s][c][p];
				if (p == c)
					right_any += st->conf[s][c][p];
			}
		fprintf(out, "%-10s", evalset_class_name(c));
		for (p = 0; p < EVALSCORE_NPRED; p++) {
			fprintf(out, " %9d", row[p]);
			n += row[p];
		}
		evalreport_cell(out, row[c], n);
		fputc('\n', out);
		right_all += row[c];
		n_all += n;
	}
	fprintf(out, "%-10s %*s", "all", 10 * EVALSCORE_NPRED - 1, "");
	evalreport_cell(out, right_all, n_all);
	fprintf(out, "\n(matched faces of any size: %d of %d right, %.1f%%)\n", right_any, n_any,
	    evalreport_pct(right_any, n_any));
}

static void
evalreport_verdicts(FILE *out, const struct evalscore *st)
{
	int c, s, p, tr = 0, tn = 0;

	fprintf(out, "\nVerdicts on annotated faces of 40+ px (a face not found has none)\n");
	fprintf(out, "%-10s %9s %9s %9s %16s\n", "annotated", "PASS", "DENY", "none", "right");
	for (c = 0; c < EVALSET_FACE; c++) {
		int v[3] = { 0, 0, 0 }, n, want = c == EVALSET_ON ? 0 : 1;

		for (s = 2; s < EVALSCORE_NSIZE; s++)
			for (p = 0; p < 3; p++)
				v[p] += st->verd[s][c][p];
		n = v[0] + v[1] + v[2];
		fprintf(out, "%-10s %9d %9d %9d", evalset_class_name(c), v[0], v[1], v[2]);
		evalreport_cell(out, v[want], n);
		fputc('\n', out);
		tr += v[want];
		tn += n;
	}
	fprintf(out, "%-10s %29s", "all", "");
	evalreport_cell(out, tr, tn);
	fputc('\n', out);
}

static void
evalreport_gate(FILE *out, const struct evalscore *st)
{
	int c, p, t[3] = { 0, 0, 0 };

	fprintf(out, "\nGate verdict on images with exactly one face of 80+ px (PASS for mask_on, DENY otherwise)\n");
	fprintf(out, "%-10s %9s %9s %9s %16s\n", "annotated", "right", "wrong", "none", "right");
	for (c = 0; c < EVALSET_FACE; c++) {
		const int *g = st->gate[c];

		fprintf(out, "%-10s %9d %9d %9d", evalset_class_name(c), g[0], g[1], g[2]);
		evalreport_cell(out, g[0], g[0] + g[1] + g[2]);
		fputc('\n', out);
		for (p = 0; p < 3; p++)
			t[p] += g[p];
	}
	fprintf(out, "%-10s %9d %9d %9d", "all", t[0], t[1], t[2]);
	evalreport_cell(out, t[0], t[0] + t[1] + t[2]);
	fputc('\n', out);
}

void
evalreport_text(FILE *out, const struct evalscore *st)
{
	evalreport_recall(out, st);
	fprintf(out, "\nPrecision: %d faces found, %d match an annotated face, %d duplicates, %d match none:"
	    " %.1f%%\n", st->found, st->matched, st->dups, st->unmatched, evalreport_pct(st->matched, st->found));
	evalreport_mask(out, st);
	evalreport_verdicts(out, st);
	evalreport_gate(out, st);
	fprintf(out, "\nFirst pass: %d images had person boxes from the person detector, %d from the close-up\n"
	    "face fallback, %d none (ingest would drop them).\n",
	    st->images - st->by_face - st->no_person, st->by_face, st->no_person);
	if (st->images > 0)
		fprintf(out, "Time per image (one thread, this machine): first pass %.0f ms, faces and masks %.0f ms\n"
		    "(CPU time %.0f ms; per person box: %.1f ms CPU over %d boxes)\n",
		    st->first_ms / st->images, st->analyse_ms / st->images, st->analyse_cpu_ms / st->images,
		    st->person_boxes ? st->analyse_cpu_ms / st->person_boxes : 0.0, st->person_boxes);
	if (st->person_boxes > 0)
		fprintf(out, "Face detector runs: %ld on whole frames, %ld on person boxes (%.2f per person box)\n"
		    "(%ld of those half-height: %.2f whole runs per person box)\n",
		    st->passes_frame, st->passes_box, (double)(st->passes_frame + st->passes_box) / st->person_boxes,
		    st->passes_half, (st->passes_frame + st->passes_box - 0.5 * st->passes_half) / st->person_boxes);
	if (st->passes_given > 0)
		fprintf(out, "(and %ld whole-frame searches not run: the close-up fallback's faces, as ingest hands\n"
		    "them to the worker)\n", st->passes_given);
}

static json_t *
evalreport_ints(const int *v, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *
evalreport_ratio(int num, int den)
{
	return den > 0 ? json_real((double)num / den) : json_null();
}

static json_t *
evalreport_json_recall(const struct evalscore *st)
{
	json_t *rec = json_object(), *x;
	int cl, s, tot_a[EVALSCORE_NSIZE] = { 0 }, tot_h[EVALSCORE_NSIZE] = { 0 };

	for (cl = 0; cl <= EVALSET_NCLASS; cl++) {
		const int *an = cl < EVALSET_NCLASS ? st->ann[cl] : tot_a, *hn = cl < EVALSET_NCLASS ? st->hit[cl] : tot_h;
		int a40 = an[2] + an[3], h40 = hn[2] + hn[3], aall = 0, hall = 0;

		if (cl < EVALSET_NCLASS && !evalscore_class_present(st, cl))
			continue;
		for (s = 0; s < EVALSCORE_NSIZE; s++) {
			aall += an[s];
			hall += hn[s];
		}
		x = json_object();
		json_object_set_new(x, "annotated", evalreport_ints(an, EVALSCORE_NSIZE));
		json_object_set_new(x, "found", evalreport_ints(hn, EVALSCORE_NSIZE));
		json_object_set_new(x, "recall_40plus", evalreport_ratio(h40, a40));
		json_object_set_new(x, "recall_80plus", evalreport_ratio(hn[3], an[3]));
		json_object_set_new(x, "recall_all", evalreport_ratio(hall, aall));
		json_object_set_new(rec, cl < EVALSET_NCLASS ? evalset_class_name(cl) : "all", x);
		if (cl < EVALSET_NCLASS)
			for (s = 0; s < EVALSCORE_NSIZE; s++) {
				tot_a[s] += an[s];
				tot_h[s] += hn[s];
			}
	}
	return rec;
}

/* evalreport_json_table - cells[size][class][ncol] as one row per
 * annotated class (its counts per size bucket) with the share right on
 * faces of 40+ px: the classifier's own class, or for verdicts (verdicts
 * set) PASS for mask_on and DENY otherwise. The mask-class and verdict
 * tables are both this shape. */
static json_t *
evalreport_json_table(const int *cells, int ncol, int verdicts, json_t *columns)
{
	json_t *t = json_object();
	int cl, s, p, all_r = 0, all_n = 0;

	for (cl = 0; cl < EVALSET_FACE; cl++) {
		json_t *row = json_object();
		int want = verdicts ? (cl == EVALSET_ON ? 0 : 1) : cl, r40 = 0, n40 = 0;

		for (s = 0; s < EVALSCORE_NSIZE; s++) {
			const int *v = cells + ((size_t)s * EVALSET_NCLASS + cl) * ncol;

			json_object_set_new(row, evalscore_size_keys[s], evalreport_ints(v, ncol));
			if (s >= 2)
				for (p = 0; p < ncol; p++) {
					n40 += v[p];
					if (p == want)
						r40 += v[p];
				}
		}
		json_object_set_new(row, "right_40plus", evalreport_ratio(r40, n40));
		json_object_set_new(t, evalset_class_name(cl), row);
		all_r += r40;
		all_n += n40;
	}
	json_object_set_new(t, "columns", columns);
	json_object_set_new(t, "right_40plus", evalreport_ratio(all_r, all_n));
	return t;
}

static json_t *
evalreport_json_gate_row(const int *g)
{
	return json_pack("{s:i, s:i, s:i, s:o}", "right", g[0], "wrong", g[1], "none", g[2],
	    "rate", evalreport_ratio(g[0], g[0] + g[1] + g[2]));
}

static json_t *
evalreport_json_gate(const struct evalscore *st)
{
	json_t *gate = json_object();
	int cl, p, g[3] = { 0, 0, 0 };

	for (cl = 0; cl < EVALSET_FACE; cl++) {
		json_object_set_new(gate, evalset_class_name(cl), evalreport_json_gate_row(st->gate[cl]));
		for (p = 0; p < 3; p++)
			g[p] += st->gate[cl][p];
	}
	json_object_set_new(gate, "all", evalreport_json_gate_row(g));
	return gate;
}

json_t *
evalreport_json(const struct evalscore *st, const struct config *c, json_t *root)
{
	json_t *sizes = json_array();
	int s;

	for (s = 0; s < EVALSCORE_NSIZE; s++)
		json_array_append_new(sizes, json_string(evalscore_size_keys[s]));
	json_object_set_new(root, "images", json_integer(st->images));
	json_object_set_new(root, "errors", json_integer(st->errors));
	json_object_set_new(root, "faces", json_integer(st->faces));
	json_object_set_new(root, "settings", json_pack("{s:o, s:i, s:f, s:f, s:i, s:f, s:f}",
	    "models_dir", utf8_json(c->models_dir), "person_input", c->person_input,
	    "person_threshold", c->person_threshold, "closeup_threshold", c->closeup_threshold, "face_input", c->face_input,
	    "face_threshold", c->face_threshold, "mask_threshold", c->mask_threshold));
	json_object_set_new(root, "size_buckets", sizes);
	json_object_set_new(root, "recall", evalreport_json_recall(st));
	json_object_set_new(root, "precision", json_pack("{s:i, s:i, s:i, s:i, s:o}", "found", st->found,
	    "matched", st->matched, "duplicates", st->dups, "unmatched", st->unmatched,
	    "precision", evalreport_ratio(st->matched, st->found)));
	json_object_set_new(root, "mask_class", evalreport_json_table(&st->conf[0][0][0], EVALSCORE_NPRED, 0,
	    json_pack("[ssss]", "mask_on", "mask_off", "mask_chin", "unknown")));
	json_object_set_new(root, "verdicts", evalreport_json_table(&st->verd[0][0][0], 3, 1,
	    json_pack("[sss]", evalscore_verdict_names[0], evalscore_verdict_names[1], evalscore_verdict_names[2])));
	json_object_set_new(root, "gate", evalreport_json_gate(st));
	json_object_set_new(root, "first_pass", json_pack("{s:i, s:i, s:i}",
	    "person", st->images - st->by_face - st->no_person, "face_fallback", st->by_face, "none", st->no_person));
	json_object_set_new(root, "ms_per_image", json_pack("{s:f, s:f, s:f}",
	    "first_pass", st->images ? st->first_ms / st->images : 0,
	    "faces_and_masks", st->images ? st->analyse_ms / st->images : 0,
	    "faces_and_masks_cpu", st->images ? st->analyse_cpu_ms / st->images : 0));
	json_object_set_new(root, "person_boxes", json_integer(st->person_boxes));
	json_object_set_new(root, "face_detector_runs", json_pack("{s:I, s:I, s:I, s:I}", "whole_frame",
	    (json_int_t)st->passes_frame, "person_box", (json_int_t)st->passes_box, "half_height",
	    (json_int_t)st->passes_half, "whole_frame_from_closeup", (json_int_t)st->passes_given));
	return root;
}
