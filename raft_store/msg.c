/* msg — message record helpers: copy, binary codec, status names and the
 * transitions table (see msg.h). */
#include "raft_store/msg.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define MSG_CODEC_VERSION 1

static const char *status_names[MSG_STATUS_COUNT] = {
    "pending", "delivered", "failed", "expired", "dropped", "rejected",
};

static const char *source_type_names[SRC_TYPE_COUNT] = {
    NULL, "ims", "circuit_switched", "smpp",
};

void msg_data_init(struct msg_data *d)
{
    memset(d, 0, sizeof *d);
    d->send_time = TIME_NULL;
    d->deliver_time = TIME_NULL;
    d->deliver_after = TIME_NULL;
    d->expires = TIME_NULL;
    d->inserted_at = TIME_NULL;
    d->updated_at = TIME_NULL;
    d->message_parts = 1;
    d->message_part_number = 1;
    d->tp_mr = -1;
    d->tp_dcs_message_class = MSG_CLASS_NONE;
}

/* The string fields, in codec order. */
#define MSG_STRINGS(X)                                                         \
    X(source_msisdn)                                                           \
    X(destination_msisdn)                                                      \
    X(message_body)                                                            \
    X(source_smsc)                                                             \
    X(dest_smsc)                                                               \
    X(source_imsi)                                                             \
    X(dest_imsi)                                                               \
    X(tp_data_coding_scheme)                                                   \
    X(tp_dcs_coding_group)                                                     \
    X(tp_user_data_header)                                                     \
    X(raw_pdu)                                                                 \
    X(origin_node)                                                             \
    X(destination_node)

void msg_data_free(struct msg_data *d)
{
#define FREE_STR(f) free(d->f);
    MSG_STRINGS(FREE_STR)
#undef FREE_STR
    msg_data_init(d);
}

void msg_data_copy(struct msg_data *dst, const struct msg_data *src)
{
    *dst = *src;
#define COPY_STR(f) dst->f = xstrdup(src->f);
    MSG_STRINGS(COPY_STR)
#undef COPY_STR
}

static uint8_t msg_flags(const struct msg_data *d)
{
    return (uint8_t)((d->deadletter ? 0x01 : 0) | (d->charge_failed ? 0x02 : 0) |
                     (d->status_report_requested ? 0x04 : 0) |
                     (d->raw_data_flag ? 0x08 : 0) |
                     (d->raw_sip_flag ? 0x10 : 0) |
                     (d->tp_dcs_compressed ? 0x20 : 0) |
                     (d->tp_dcs_has_message_class ? 0x40 : 0));
}

static void msg_set_flags(struct msg_data *d, uint8_t f)
{
    d->deadletter = f & 0x01;
    d->charge_failed = f & 0x02;
    d->status_report_requested = f & 0x04;
    d->raw_data_flag = f & 0x08;
    d->raw_sip_flag = f & 0x10;
    d->tp_dcs_compressed = f & 0x20;
    d->tp_dcs_has_message_class = f & 0x40;
}

void msg_data_encode(struct buf *b, const struct msg_data *d)
{
    buf_put_u8(b, MSG_CODEC_VERSION);
#define PUT_STR(f) buf_put_str(b, d->f);
    MSG_STRINGS(PUT_STR)
#undef PUT_STR
    buf_put_svar(b, d->send_time);
    buf_put_svar(b, d->deliver_time);
    buf_put_svar(b, d->deliver_after);
    buf_put_svar(b, d->expires);
    buf_put_svar(b, d->inserted_at);
    buf_put_svar(b, d->updated_at);
    buf_put_svar(b, d->status_report_for);
    buf_put_svar(b, d->message_parts);
    buf_put_svar(b, d->message_part_number);
    buf_put_svar(b, d->delivery_attempts);
    buf_put_svar(b, d->route_id);
    buf_put_svar(b, d->tp_mr);
    buf_put_u8(b, d->charged);
    buf_put_u8(b, d->status);
    buf_put_u8(b, d->source_type);
    buf_put_u8(b, d->charset);
    buf_put_u8(b, d->tp_dcs_message_class);
    buf_put_u8(b, msg_flags(d));
}

static int32_t rd_i32(struct rd *r)
{
    int64_t v = rd_svar(r);
    if (v < INT32_MIN || v > INT32_MAX) {
        r->err = -1;
        return 0;
    }
    return (int32_t)v;
}

int msg_data_decode(struct rd *r, struct msg_data *d)
{
    msg_data_init(d);
    if (rd_u8(r) != MSG_CODEC_VERSION)
        r->err = -1;
#define GET_STR(f) d->f = rd_str(r, MSG_MAX_STR);
    MSG_STRINGS(GET_STR)
#undef GET_STR
    d->send_time = rd_svar(r);
    d->deliver_time = rd_svar(r);
    d->deliver_after = rd_svar(r);
    d->expires = rd_svar(r);
    d->inserted_at = rd_svar(r);
    d->updated_at = rd_svar(r);
    d->status_report_for = rd_svar(r);
    d->message_parts = rd_i32(r);
    d->message_part_number = rd_i32(r);
    d->delivery_attempts = rd_i32(r);
    d->route_id = rd_svar(r);
    d->tp_mr = rd_i32(r);
    d->charged = rd_u8(r);
    d->status = rd_u8(r);
    d->source_type = rd_u8(r);
    d->charset = rd_u8(r);
    d->tp_dcs_message_class = rd_u8(r);
    uint8_t flags = rd_u8(r);
    msg_set_flags(d, flags);
    if (r->err || d->status >= MSG_STATUS_COUNT ||
        d->source_type >= SRC_TYPE_COUNT || d->charset > 3 || (flags & 0x80) ||
        d->route_id < 0 || d->charged > 2 || d->tp_mr < -1 || d->tp_mr > 255 ||
        (d->tp_dcs_message_class > 3 &&
         d->tp_dcs_message_class != MSG_CLASS_NONE)) {
        r->err = -1;
        msg_data_free(d);
        return -1;
    }
    return 0;
}

const char *msg_status_name(int status)
{
    if (status < 0 || status >= MSG_STATUS_COUNT)
        return "unknown";
    return status_names[status];
}

int msg_status_parse(const char *name, int *out)
{
    for (int i = 0; i < MSG_STATUS_COUNT; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

bool msg_status_final(int status)
{
    return status != MSG_PENDING;
}

/* Row = from, column = to.  A pending message may end in any final state;
 * a final one only goes back to pending (an explicit requeue). */
static const bool transitions[MSG_STATUS_COUNT][MSG_STATUS_COUNT] = {
    /*               pend   deliv  fail   expir  drop   rej */
    [MSG_PENDING] = {false, true, true, true, true, true},
    [MSG_DELIVERED] = {true, false, false, false, false, false},
    [MSG_FAILED] = {true, false, false, false, false, false},
    [MSG_EXPIRED] = {true, false, false, false, false, false},
    [MSG_DROPPED] = {true, false, false, false, false, false},
    [MSG_REJECTED] = {true, false, false, false, false, false},
};

bool msg_transition_allowed(int from, int to)
{
    if (from < 0 || from >= MSG_STATUS_COUNT || to < 0 ||
        to >= MSG_STATUS_COUNT)
        return false;
    return transitions[from][to];
}

const char *msg_source_type_name(int t)
{
    if (t <= SRC_NONE || t >= SRC_TYPE_COUNT)
        return NULL;
    return source_type_names[t];
}

int msg_source_type_parse(const char *name, int *out)
{
    for (int i = 1; i < SRC_TYPE_COUNT; i++) {
        if (strcmp(name, source_type_names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

int64_t msg_backoff_ms(int32_t attempts)
{
    int32_t e = attempts < 0 ? 0 : attempts > 16 ? 16 : attempts;
    return ((int64_t)1 << e) * 60 * 1000;
}
