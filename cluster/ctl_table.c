/* ctl_table — smscctl's human output: aligned tables of JSON objects with
 * a header row, and KEY VALUE listings of one object.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/ctl.h"
#include "common/xalloc.h"

#define CELL_MAX 512

const char *ctl_cell(const json_t *v, char *buf, size_t len)
{
    if (v == NULL || json_is_null(v)) {
        snprintf(buf, len, "-");
    } else if (json_is_string(v)) {
        snprintf(buf, len, "%s", json_string_value(v));
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, len, "%s", s ? s : "?");
        free(s);
    }
    /* one line per row, whatever the value holds */
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return buf;
}

/* The cell of row r, column col, cut to the column's max_width. */
static const char *cell_of(const struct ctl_col *col, const json_t *row,
                           char *buf)
{
    ctl_cell(json_object_get(row, col->key), buf, CELL_MAX);
    size_t w = (size_t)col->max_width;
    if (w > 3 && strlen(buf) > w)
        strcpy(buf + w - 3, "...");
    return buf;
}

static void print_row(const char *const *cells, const size_t *width,
                      size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        if (i + 1 == ncols)
            printf("%s\n", cells[i]);
        else
            printf("%-*s  ", (int)width[i], cells[i]);
    }
}

void ctl_table(const struct ctl_col *cols, size_t ncols, const json_t *rows)
{
    size_t nrows = json_array_size(rows);
    char **cells = xcalloc((nrows + 1) * ncols, sizeof *cells);
    size_t *width = xcalloc(ncols, sizeof *width);
    char buf[CELL_MAX];
    for (size_t c = 0; c < ncols; c++) {
        cells[c] = xstrdup(cols[c].header);
        width[c] = strlen(cols[c].header);
    }
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            char *s = xstrdup(cell_of(&cols[c], json_array_get(rows, r), buf));
            cells[(r + 1) * ncols + c] = s;
            if (strlen(s) > width[c])
                width[c] = strlen(s);
        }
    for (size_t r = 0; r <= nrows; r++)
        print_row((const char *const *)cells + r * ncols, width, ncols);
    for (size_t i = 0; i < (nrows + 1) * ncols; i++)
        free(cells[i]);
    free(cells);
    free(width);
}

void ctl_kv(const json_t *obj)
{
    int w = 3;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        if ((int)strlen(k) > w)
            w = (int)strlen(k);
    }
    printf("%-*s  %s\n", w, "KEY", "VALUE");
    char buf[CELL_MAX];
    json_object_foreach((json_t *)obj, k, v)
        printf("%-*s  %s\n", w, k, ctl_cell(v, buf, sizeof buf));
}
