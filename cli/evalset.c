/* evalset - read annotated photo sets (JSON lines, PASCAL VOC) for
 * `gatewatch eval`. See evalset.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <expat.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evalset.h"
#include "util.h"

#define EVALSET_XML_MAX (1 << 20)   /* a VOC file of a few hundred faces is ~100 KB */

static const char *const evalset_names[EVALSET_NCLASS] = { "mask_on", "mask_off", "mask_chin", "face" };

const char *
evalset_class_name(enum evalset_class c)
{
	return c < EVALSET_NCLASS ? evalset_names[c] : "face";
}

static enum evalset_class
evalset_label(const char *s)
{
	if (strcmp(s, "mask_on") == 0 || strcmp(s, "with_mask") == 0)
		return EVALSET_ON;
	if (strcmp(s, "mask_off") == 0 || strcmp(s, "without_mask") == 0)
		return EVALSET_OFF;
	if (strcmp(s, "mask_chin") == 0 || strcmp(s, "mask_weared_incorrect") == 0 ||
	    strcmp(s, "mask_incorrect") == 0)
		return EVALSET_CHIN;
	return EVALSET_FACE;
}

/* evalset_number - the last run of digits in the file name (not the folder). */
static long
evalset_number(const char *path)
{
	const char *base = strrchr(path, '/'), *p, *end = NULL;
	long n = -1;

	base = base ? base + 1 : path;
	for (p = base; *p; p++)
		if (isdigit((unsigned char)*p) && (p == base || !isdigit((unsigned char)p[-1])))
			end = p;
	if (end != NULL)
		n = strtol(end, NULL, 10);
	return n;
}

int
evalset_is_val(const struct evalset_image *im)
{
	return im->number >= 0 && im->number % 5 == 0;
}

static char *
evalset_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = malloc(n);

	if (s == NULL)
		return NULL;
	if (name[0] == '/' || dir[0] == '\0')
		snprintf(s, n, "%s", name);
	else
		snprintf(s, n, "%s/%s", dir, name);
	return s;
}

/* evalset_dirname - the folder of path into out ("." for a bare name). */
static void
evalset_dirname(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(out, outlen, ".");
	else if (slash == path)
		snprintf(out, outlen, "/");
	else
		snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

/* evalset_add - append an image named name by its annotations; takes
 * ownership of path and faces (freed on error too). */
static int
evalset_add(struct evalset *set, char *path, const char *name, struct evalset_face *faces, int nfaces)
{
	char *nm = strdup(name);

	if (nm == NULL || path == NULL) {
		free(nm);
		free(path);
		free(faces);
		return -ENOMEM;
	}
	if (set->n == set->cap) {
		int ncap = set->cap ? set->cap * 2 : 256;
		struct evalset_image *nv = realloc(set->v, (size_t)ncap * sizeof(*nv));

		if (nv == NULL) {
			free(nm);
			free(path);
			free(faces);
			return -ENOMEM;
		}
		set->v = nv;
		set->cap = ncap;
	}
	set->v[set->n].path = path;
	set->v[set->n].name = nm;
	set->v[set->n].number = evalset_number(path);
	set->v[set->n].faces = faces;
	set->v[set->n].nfaces = nfaces;
	set->v[set->n].nextra = 0;
	set->v[set->n].ncorrected = 0;
	set->n++;
	return 0;
}

static int
evalset_num(json_t *o, const char *key, float *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return -1;
	*out = (float)json_number_value(v);
	return isfinite(*out) ? 0 : -1; /* 1e39 is no box: infinite as a float */
}

/* evalset_faces - the "faces" array of a line, into *out (owned, NULL
 * when empty). Returns the count, or -1 with the file, line and face in err. */
static int
evalset_faces(json_t *arr, const char *path, int lineno, struct evalset_face **out, char *err, size_t errlen)
{
	struct evalset_face *faces = NULL;
	json_t *fo;
	size_t i;

	if (json_array_size(arr) > 0 && (faces = calloc(json_array_size(arr), sizeof(*faces))) == NULL) {
		util_errf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(arr, i, fo) {
		struct evalset_face *fc = &faces[i];
		json_t *label = json_object_get(fo, "label");

		if (evalset_num(fo, "x", &fc->x) || evalset_num(fo, "y", &fc->y) ||
		    evalset_num(fo, "w", &fc->w) || evalset_num(fo, "h", &fc->h) ||
		    !json_is_string(label) || !(fc->w > 0) || !(fc->h > 0)) {
			util_errf(err, errlen, "%s:%d: face %zu: want (float) numbers x, y, w > 0, h > 0 and a string label",
			    path, lineno, i + 1);
			free(faces);
			return -1;
		}
		fc->cls = evalset_label(json_string_value(label));
	}
	*out = faces;
	return (int)json_array_size(arr);
}

int
evalset_lines(struct evalset *set, const char *path, evalset_line_fn fn, char *err, size_t errlen)
{
	char dir[4096], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, added = 0, rc = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		util_errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	evalset_dirname(path, dir, sizeof(dir));
	while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
		struct evalset_face *faces = NULL;
		json_error_t je;
		json_t *o, *file, *arr;
		int nf;

		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		if ((o = json_loads(line, 0, &je)) == NULL) {
			util_errf(err, errlen, "%s:%d: %s", path, lineno, je.text);
			rc = -1;
			break;
		}
		file = json_object_get(o, "file");
		arr = json_object_get(o, "faces");
		if (!json_is_string(file) || !json_is_array(arr)) {
			util_errf(err, errlen, "%s:%d: want \"file\" (a string) and \"faces\" (an array)", path, lineno);
			rc = -1;
		} else if ((nf = evalset_faces(arr, path, lineno, &faces, err, errlen)) < 0) {
			rc = -1;
		} else if ((rc = fn(set, dir, json_string_value(file), faces, nf, o, err, errlen)) < 0) {
			size_t n = strlen(err);

			snprintf(err + n, errlen - n, " (%s:%d)", path, lineno);
		} else {
			added++;
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	return rc < 0 ? -1 : added;
}

/* evalset_jsonl_line - an image of a set: its file is relative to the .jsonl's folder. */
static int
evalset_jsonl_line(struct evalset *set, const char *dir, const char *file, struct evalset_face *faces, int nf,
                   json_t *line, char *err, size_t errlen)
{
	(void)line;
	if (evalset_add(set, evalset_join(dir, file), file, faces, nf) != 0) {
		util_errf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* evalset_jsonl - one image per line. */
static int
evalset_jsonl(struct evalset *set, const char *path, char *err, size_t errlen)
{
	return evalset_lines(set, path, evalset_jsonl_line, err, errlen);
}

struct evalset_image *
evalset_find(struct evalset *set, const char *file, char *err, size_t errlen)
{
	struct evalset_image *found = NULL, *other = NULL;
	int i;

	for (i = 0; i < set->n; i++) {
		struct evalset_image *im = &set->v[i];

		if (strcmp(im->name, file) != 0 && strcmp(im->path, file) != 0)
			continue;
		if (found == NULL)
			found = im;
		else if (other == NULL)
			other = im;
	}
	if (found == NULL)
		util_errf(err, errlen, "%s: no such image in the annotated set", file);
	else if (other != NULL)
		util_errf(err, errlen, "%s: names two images (%s, %s): name one by its path", file, found->path,
		    other->path);
	return other == NULL ? found : NULL;
}

/* evalset_extra_line - more faces for the one image of the set that file
 * names. */
static int
evalset_extra_line(struct evalset *set, const char *dir, const char *file, struct evalset_face *faces, int nf,
                   json_t *line, char *err, size_t errlen)
{
	struct evalset_image *im = evalset_find(set, file, err, errlen);
	struct evalset_face *nv;

	(void)dir, (void)line;
	if (im == NULL) {
		free(faces);
		return -1;
	}
	if (nf > 0) {
		if ((nv = realloc(im->faces, sizeof(*nv) * (size_t)(im->nfaces + nf))) == NULL) {
			free(faces);
			util_errf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(nv + im->nfaces, faces, sizeof(*nv) * (size_t)nf);
		im->faces = nv;
		im->nfaces += nf;
		im->nextra += nf;
		set->extra += nf;
	}
	free(faces);
	return 0;
}

int
evalset_extra(struct evalset *set, const char *path, char *err, size_t errlen)
{
	int before = set->extra;

	if (evalset_lines(set, path, evalset_extra_line, err, errlen) < 0)
		return -1;
	return set->extra - before;
}

/* One VOC file being parsed. Element text is collected in text[] and
 * used at the element's end, by the names of it and its parent. */
struct evalset_voc {
	char stack[8][32];
	int depth;
	char text[1024];
	size_t tlen;
	char filename[1024];
	char name[128];
	float xmin, ymin, xmax, ymax;
	int have;                   /* bits: xmin ymin xmax ymax */
	struct evalset_face *faces; /* owned until handed to the set */
	int nfaces, cap, bad;
};

static void XMLCALL
evalset_voc_start(void *data, const XML_Char *el, const XML_Char **attr)
{
	struct evalset_voc *v = data;

	(void)attr;
	if (v->depth < 8)
		snprintf(v->stack[v->depth], sizeof(v->stack[0]), "%s", el);
	v->depth++;
	v->tlen = 0;
	v->text[0] = '\0';
	if (strcmp(el, "object") == 0) {
		v->name[0] = '\0';
		v->have = 0;
	}
}

static void XMLCALL
evalset_voc_text(void *data, const XML_Char *s, int len)
{
	struct evalset_voc *v = data;

	if (len > 0 && v->tlen + (size_t)len < sizeof(v->text)) {
		memcpy(v->text + v->tlen, s, (size_t)len);
		v->tlen += (size_t)len;
		v->text[v->tlen] = '\0';
	}
}

static void XMLCALL
evalset_voc_end(void *data, const XML_Char *el)
{
	struct evalset_voc *v = data;
	const char *parent = v->depth >= 2 && v->depth - 2 < 8 ? v->stack[v->depth - 2] : "";
	char *t = v->text, *e;
	float num;

	while (isspace((unsigned char)*t))
		t++;
	for (e = t + strlen(t); e > t && isspace((unsigned char)e[-1]); e--)
		e[-1] = '\0';
	if (strcmp(el, "filename") == 0 && strcmp(parent, "annotation") == 0)
		snprintf(v->filename, sizeof(v->filename), "%.*s", (int)sizeof(v->filename) - 1, t);
	else if (strcmp(el, "name") == 0 && strcmp(parent, "object") == 0)
		snprintf(v->name, sizeof(v->name), "%.*s", (int)sizeof(v->name) - 1, t);
	else if (strcmp(parent, "bndbox") == 0) {
		num = strtof(t, &e);
		if (e != t && isfinite(num)) { /* "inf", "1e39": the object has no box */
			if (strcmp(el, "xmin") == 0) { v->xmin = num; v->have |= 1; }
			if (strcmp(el, "ymin") == 0) { v->ymin = num; v->have |= 2; }
			if (strcmp(el, "xmax") == 0) { v->xmax = num; v->have |= 4; }
			if (strcmp(el, "ymax") == 0) { v->ymax = num; v->have |= 8; }
		}
	} else if (strcmp(el, "object") == 0) {
		if (v->have != 15 || !(v->xmax > v->xmin) || !(v->ymax > v->ymin) || v->name[0] == '\0') {
			v->bad++;
		} else {
			if (v->nfaces == v->cap) {
				int ncap = v->cap ? v->cap * 2 : 16;
				struct evalset_face *nf = realloc(v->faces, (size_t)ncap * sizeof(*nf));

				if (nf == NULL) {
					v->bad++;
					goto out;
				}
				v->faces = nf;
				v->cap = ncap;
			}
			v->faces[v->nfaces++] = (struct evalset_face){ v->xmin, v->ymin,
			    v->xmax - v->xmin, v->ymax - v->ymin, evalset_label(v->name), 0 };
		}
	}
out:
	v->depth--;
	v->tlen = 0;
	v->text[0] = '\0';
}

static int
evalset_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* evalset_voc_image - find the image a VOC file names: beside it, in
 * ../JPEGImages, ../images, then by the XML's own base name. */
static char *
evalset_voc_image(const char *xmlpath, const char *filename)
{
	static const char *const subs[] = { "", "../JPEGImages/", "../images/", "JPEGImages/", "images/" };
	static const char *const exts[] = { ".jpg", ".jpeg", ".png", ".JPG", ".PNG" };
	char dir[4096], base[1024], cand[6144], *dot;
	const char *b = strrchr(xmlpath, '/'), *fn;
	size_t i, j;

	evalset_dirname(xmlpath, dir, sizeof(dir));
	fn = strrchr(filename, '/') ? strrchr(filename, '/') + 1 : filename; /* VOC often keeps a foreign path */
	for (i = 0; fn[0] && i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(cand, sizeof(cand), "%s/%s%s", dir, subs[i], fn);
		if (evalset_exists(cand))
			return strdup(cand);
	}
	snprintf(base, sizeof(base), "%s", b ? b + 1 : xmlpath);
	if ((dot = strrchr(base, '.')) != NULL)
		*dot = '\0';
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		for (j = 0; j < sizeof(exts) / sizeof(exts[0]); j++) {
			snprintf(cand, sizeof(cand), "%s/%s%s%s", dir, subs[i], base, exts[j]);
			if (evalset_exists(cand))
				return strdup(cand);
		}
	return NULL;
}

static int
evalset_voc(struct evalset *set, const char *path, char *err, size_t errlen)
{
	struct evalset_voc *v;
	unsigned char *buf = NULL;
	size_t len;
	XML_Parser p;
	char *img;
	int rc;

	if ((rc = util_read_file(path, EVALSET_XML_MAX, &buf, &len)) < 0) {
		util_errf(err, errlen, "%s: %s", path, strerror(-rc));
		return -1;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL || (p = XML_ParserCreate(NULL)) == NULL) {
		free(v);
		free(buf);
		util_errf(err, errlen, "out of memory");
		return -1;
	}
	XML_SetUserData(p, v);
	XML_SetElementHandler(p, evalset_voc_start, evalset_voc_end);
	XML_SetCharacterDataHandler(p, evalset_voc_text);
	if (XML_Parse(p, (const char *)buf, (int)len, 1) == XML_STATUS_ERROR) {
		util_errf(err, errlen, "%s:%lu: %s", path, (unsigned long)XML_GetCurrentLineNumber(p),
		    XML_ErrorString(XML_GetErrorCode(p)));
		rc = -1;
	} else if (v->bad) {
		util_errf(err, errlen, "%s: %d object%s without a name or a box with xmin < xmax, ymin < ymax",
		    path, v->bad, v->bad == 1 ? "" : "s");
		rc = -1;
	} else if ((img = evalset_voc_image(path, v->filename)) == NULL) {
		util_errf(err, errlen, "%s: no image \"%s\" beside it or in ../JPEGImages, ../images",
		    path, v->filename);
		rc = -1;
	} else if (evalset_add(set, img, v->filename, v->faces, v->nfaces) != 0) {
		v->faces = NULL;
		util_errf(err, errlen, "out of memory");
		rc = -1;
	} else {
		v->faces = NULL;
		rc = 1;
	}
	XML_ParserFree(p);
	free(v->faces);
	free(v);
	free(buf);
	return rc;
}

static int
evalset_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int
evalset_xml_filter(const struct dirent *de)
{
	return de->d_name[0] != '.' && evalset_has_suffix(de->d_name, ".xml");
}

/* evalset_vocdir - every .xml of dir (or of dir/Annotations), by name. */
static int
evalset_vocdir(struct evalset *set, const char *dir, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char sub[4096];
	int i, n, rc = 0, added = 0;

	n = scandir(dir, &names, evalset_xml_filter, alphasort);
	if (n == 0) {
		free(names);
		names = NULL;
		snprintf(sub, sizeof(sub), "%s/Annotations", dir);
		n = scandir(sub, &names, evalset_xml_filter, alphasort);
		dir = sub;
	}
	if (n < 0) {
		util_errf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *path = rc < 0 ? NULL : evalset_join(dir, names[i]->d_name);

		if (rc >= 0 && path == NULL) {
			util_errf(err, errlen, "out of memory");
			rc = -1;
		}
		if (rc >= 0 && (rc = evalset_voc(set, path, err, errlen)) > 0)
			added += rc;
		free(path);
		free(names[i]);
	}
	free(names);
	if (rc < 0)
		return -1;
	if (added == 0) {
		util_errf(err, errlen, "%s: no annotations.jsonl and no PASCAL VOC .xml files", dir);
		return -1;
	}
	return added;
}

int
evalset_load(struct evalset *set, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char jsonl[4096];

	if (stat(path, &st) != 0) {
		util_errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(jsonl, sizeof(jsonl), "%s/annotations.jsonl", path);
		if (evalset_exists(jsonl))
			return evalset_jsonl(set, jsonl, err, errlen);
		return evalset_vocdir(set, path, err, errlen);
	}
	if (evalset_has_suffix(path, ".xml"))
		return evalset_voc(set, path, err, errlen);
	return evalset_jsonl(set, path, err, errlen);
}

void
evalset_free(struct evalset *set)
{
	int i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].path);
		free(set->v[i].name);
		free(set->v[i].faces);
	}
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}
