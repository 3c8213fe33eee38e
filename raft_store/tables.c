/* tables — records of the route, translation-rule and location tables:
 * defaults, deep copy and the binary codec shared by raft commands and
 * snapshots (see tables.h).
 *
 * Each record is encoded as a format version byte followed by its fields in
 * a fixed order: id (svar), the strings (in the order of the *_STRINGS
 * lists below), then the scalars (small enums as uvar, ints and times as
 * svar, bools as one byte).  Decoders reject a wrong version, any overrun
 * and every value the record cannot hold, and free what they built.
 */
#include "raft_store/tables.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define TABLES_CODEC_VERSION 1

static const char *const charged_names[] = {
    [CHARGED_DEFAULT] = "default",
    [CHARGED_YES] = "yes",
    [CHARGED_NO] = "no",
};

#define N_CHARGED (sizeof charged_names / sizeof charged_names[0])

/* ---- codec helpers ---- */

static void rd_version(struct rd *rd)
{
    if (rd_u8(rd) != TABLES_CODEC_VERSION)
        rd->err = -1;
}

/* A signed varint that must lie in [lo, hi]; sets rd->err otherwise. */
static int64_t rd_svar_in(struct rd *rd, int64_t lo, int64_t hi)
{
    int64_t v = rd_svar(rd);
    if (v < lo || v > hi) {
        rd->err = -1;
        return lo;
    }
    return v;
}

#define PUT_STR(f) buf_put_str(b, r->f);
#define GET_STR(f) r->f = rd_str(rd, TABLE_MAX_STR);
#define FREE_STR(f) free(r->f);
#define COPY_STR(f) dst->f = xstrdup(src->f);

/* ---- routes ---- */

#define ROUTE_STRINGS(X)                                                       \
    X(calling_prefix)                                                          \
    X(called_prefix)                                                           \
    X(source_smsc)                                                             \
    X(enum_domain)                                                             \
    X(dest_smsc)                                                               \
    X(auto_reply_message)                                                      \
    X(description)

void route_rec_init(struct route_rec *r)
{
    memset(r, 0, sizeof *r);
    r->source_type = SRC_NONE;
    r->charged = CHARGED_DEFAULT;
    r->weight = 100;
    r->priority = 100;
    r->enabled = true;
    r->inserted_at = TIME_NULL;
    r->updated_at = TIME_NULL;
}

void route_rec_free(struct route_rec *r)
{
    ROUTE_STRINGS(FREE_STR)
    route_rec_init(r);
}

void route_rec_copy(struct route_rec *dst, const struct route_rec *src)
{
    *dst = *src;
    ROUTE_STRINGS(COPY_STR)
}

void route_rec_encode(struct buf *b, const struct route_rec *r)
{
    buf_put_u8(b, TABLES_CODEC_VERSION);
    buf_put_svar(b, r->id);
    ROUTE_STRINGS(PUT_STR)
    buf_put_uvar(b, r->source_type);
    buf_put_bool(b, r->auto_reply);
    buf_put_bool(b, r->drop);
    buf_put_uvar(b, r->charged);
    buf_put_svar(b, r->weight);
    buf_put_svar(b, r->priority);
    buf_put_bool(b, r->enabled);
    buf_put_svar(b, r->inserted_at);
    buf_put_svar(b, r->updated_at);
}

int route_rec_decode(struct rd *rd, struct route_rec *r)
{
    route_rec_init(r);
    rd_version(rd);
    r->id = rd_svar_in(rd, 0, INT64_MAX);
    ROUTE_STRINGS(GET_STR)
    r->source_type = (uint8_t)rd_uvar_max(rd, SRC_TYPE_COUNT - 1);
    r->auto_reply = rd_bool(rd);
    r->drop = rd_bool(rd);
    r->charged = (uint8_t)rd_uvar_max(rd, N_CHARGED - 1);
    r->weight = (int32_t)rd_svar_in(rd, 1, 100);
    r->priority = (int32_t)rd_svar_in(rd, 1, 255);
    r->enabled = rd_bool(rd);
    r->inserted_at = rd_svar(rd);
    r->updated_at = rd_svar(rd);
    if (rd->err) {
        route_rec_free(r);
        return -1;
    }
    return 0;
}

const char *route_charged_name(int c)
{
    if (c < 0 || (size_t)c >= N_CHARGED)
        return "unknown";
    return charged_names[c];
}

int route_charged_parse(const char *s, int *out)
{
    for (size_t i = 0; s && i < N_CHARGED; i++) {
        if (strcmp(s, charged_names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return -1;
}

/* ---- translation rules ---- */

#define XLAT_STRINGS(X)                                                        \
    X(calling_prefix)                                                          \
    X(called_prefix)                                                           \
    X(source_smsc)                                                             \
    X(calling_match)                                                           \
    X(calling_replace)                                                         \
    X(called_match)                                                            \
    X(called_replace)                                                          \
    X(description)

void xlat_rule_rec_init(struct xlat_rule_rec *r)
{
    memset(r, 0, sizeof *r);
    r->priority = 100;
    r->enabled = true;
    r->cont = false;
    r->inserted_at = TIME_NULL;
    r->updated_at = TIME_NULL;
}

void xlat_rule_rec_free(struct xlat_rule_rec *r)
{
    XLAT_STRINGS(FREE_STR)
    xlat_rule_rec_init(r);
}

void xlat_rule_rec_copy(struct xlat_rule_rec *dst,
                        const struct xlat_rule_rec *src)
{
    *dst = *src;
    XLAT_STRINGS(COPY_STR)
}

void xlat_rule_rec_encode(struct buf *b, const struct xlat_rule_rec *r)
{
    buf_put_u8(b, TABLES_CODEC_VERSION);
    buf_put_svar(b, r->id);
    XLAT_STRINGS(PUT_STR)
    buf_put_svar(b, r->priority);
    buf_put_bool(b, r->enabled);
    buf_put_bool(b, r->cont);
    buf_put_svar(b, r->inserted_at);
    buf_put_svar(b, r->updated_at);
}

int xlat_rule_rec_decode(struct rd *rd, struct xlat_rule_rec *r)
{
    xlat_rule_rec_init(r);
    rd_version(rd);
    r->id = rd_svar_in(rd, 0, INT64_MAX);
    XLAT_STRINGS(GET_STR)
    r->priority = (int32_t)rd_svar_in(rd, 1, 255);
    r->enabled = rd_bool(rd);
    r->cont = rd_bool(rd);
    r->inserted_at = rd_svar(rd);
    r->updated_at = rd_svar(rd);
    if (rd->err) {
        xlat_rule_rec_free(r);
        return -1;
    }
    return 0;
}

/* ---- subscriber locations ---- */

#define LOCATION_STRINGS(X)                                                    \
    X(msisdn)                                                                  \
    X(imsi)                                                                    \
    X(location)                                                                \
    X(ran_location)                                                            \
    X(imei)                                                                    \
    X(user_agent)

void location_rec_init(struct location_rec *r)
{
    memset(r, 0, sizeof *r);
    r->registered = true;
    r->expires = TIME_NULL;
    r->inserted_at = TIME_NULL;
    r->updated_at = TIME_NULL;
}

void location_rec_free(struct location_rec *r)
{
    LOCATION_STRINGS(FREE_STR)
    location_rec_init(r);
}

void location_rec_copy(struct location_rec *dst,
                       const struct location_rec *src)
{
    *dst = *src;
    LOCATION_STRINGS(COPY_STR)
}

void location_rec_encode(struct buf *b, const struct location_rec *r)
{
    buf_put_u8(b, TABLES_CODEC_VERSION);
    buf_put_svar(b, r->id);
    LOCATION_STRINGS(PUT_STR)
    buf_put_bool(b, r->ims_capable);
    buf_put_bool(b, r->csfb);
    buf_put_bool(b, r->registered);
    buf_put_svar(b, r->expires);
    buf_put_svar(b, r->inserted_at);
    buf_put_svar(b, r->updated_at);
}

int location_rec_decode(struct rd *rd, struct location_rec *r)
{
    location_rec_init(r);
    rd_version(rd);
    r->id = rd_svar_in(rd, 0, INT64_MAX);
    LOCATION_STRINGS(GET_STR)
    r->ims_capable = rd_bool(rd);
    r->csfb = rd_bool(rd);
    r->registered = rd_bool(rd);
    r->expires = rd_svar(rd);
    r->inserted_at = rd_svar(rd);
    r->updated_at = rd_svar(rd);
    if (rd->err) {
        location_rec_free(r);
        return -1;
    }
    return 0;
}
