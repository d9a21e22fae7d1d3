/* evalfix - corrections to an annotated set's own faces, for `gatewatch
 * eval --corrections FILE` (models/data/mask-scenes-corrections.jsonl: the
 * annotation errors of mask-scenes, judged under models/data/README.md's
 * rule, without editing ../shared). JSON lines, one a face:
 *   {"file":"images/x.jpg",
 *    "faces":[{"x":..,"y":..,"w":..,"h":..,"label":"mask_on"}],
 *    "corrected":"mask_chin", "reason":"the nose shows above the mask",
 *    "to":{"x":..,"y":..,"w":..,"h":..}}
 * "file" names the image as evalset_extra's lines do; "faces" holds the one
 * face exactly as the set annotates it (box within 0.01 px, label);
 * "corrected" is mask_on, mask_off, mask_chin, face (the mask state cannot be
 * seen: counted for finding only) or none (not a face: removed); "to"
 * (optional, not with none) moves the box; "reason" is required. */
#ifndef GW_CLI_EVALFIX_H
#define GW_CLI_EVALFIX_H

#include <stddef.h>

#include "evalset.h"

/* evalfix_load - apply the corrections of path to set's own faces (not to
 * faces evalset_extra added). A line that cannot be read, names no image of
 * the set, or no face of it (already corrected by an earlier line, or the
 * annotations changed) is an error: -1 with the file and line in err, the
 * lines before it applied. Returns the number of faces corrected. */
int evalfix_load(struct evalset *set, const char *path, char *err, size_t errlen);

#endif
