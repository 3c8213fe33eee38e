/* msg — the message record (SPEC §2) and its lifecycle states (SPEC §5).
 *
 * struct msg_data is the plain content of a message: what a create command
 * carries and what the store keeps, serialised by the command codec and the
 * snapshot writer alike.  Strings are owned, NUL-terminated, NULL for JSON
 * null; times are ms since the epoch with TIME_NULL for null.  The status
 * transitions table lives here too, so every mover checks the same table.
 * Pure data and functions, any thread.
 */
#ifndef SMSC_MSG_H
#define SMSC_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

#define TIME_NULL INT64_MIN

enum msg_status {
    MSG_PENDING = 0,
    MSG_DELIVERED = 1,
    MSG_FAILED = 2,
    MSG_EXPIRED = 3,
    MSG_DROPPED = 4,
    MSG_REJECTED = 5,
    MSG_STATUS_COUNT
};

enum msg_source_type {
    SRC_NONE = 0,
    SRC_IMS = 1,
    SRC_CIRCUIT_SWITCHED = 2,
    SRC_SMPP = 3,
    SRC_TYPE_COUNT
};

#define MSG_CLASS_NONE 0xff

struct msg_data {
    char *source_msisdn;
    char *destination_msisdn;
    char *message_body;
    char *source_smsc;
    char *dest_smsc;
    char *source_imsi;
    char *dest_imsi;
    char *tp_data_coding_scheme; /* hex, "00" by default */
    char *tp_dcs_coding_group;
    char *tp_user_data_header;   /* hex */
    char *raw_pdu;               /* hex */
    char *origin_node;
    char *destination_node;
    int64_t send_time;
    int64_t deliver_time;
    int64_t deliver_after;
    int64_t expires;
    int64_t inserted_at;
    int64_t updated_at;
    int64_t status_report_for;   /* 0 = null */
    int64_t route_id;            /* the route that chose dest_smsc, 0 = none */
    int32_t tp_mr;               /* TP-MR of a raw SMS-SUBMIT, -1 = none */
    int32_t message_parts;
    int32_t message_part_number;
    int32_t delivery_attempts;
    uint8_t status;              /* enum msg_status */
    uint8_t source_type;         /* enum msg_source_type */
    uint8_t charset;             /* enum sms_charset */
    uint8_t tp_dcs_message_class; /* 0..3, or MSG_CLASS_NONE */
    uint8_t charged;             /* the route's charged: 0 default, 1 yes,
                                  * 2 no (for the charging step) */
    bool deadletter;
    bool charge_failed;
    bool status_report_requested;
    bool raw_data_flag;
    bool raw_sip_flag;
    bool tp_dcs_compressed;
    bool tp_dcs_has_message_class;
};

/* Longest string field accepted anywhere in a message (bodies in hex). */
#define MSG_MAX_STR (256 * 1024)

void msg_data_init(struct msg_data *d);
void msg_data_free(struct msg_data *d);
/* Deep copy. */
void msg_data_copy(struct msg_data *dst, const struct msg_data *src);
void msg_data_encode(struct buf *b, const struct msg_data *d);
/* Returns 0, or -1 when the input is malformed (d is then freed). */
int msg_data_decode(struct rd *r, struct msg_data *d);

const char *msg_status_name(int status);
int msg_status_parse(const char *name, int *out);
bool msg_status_final(int status);
/* The transitions table of SPEC §5: true when from -> to is allowed. */
bool msg_transition_allowed(int from, int to);

const char *msg_source_type_name(int t); /* NULL for SRC_NONE */
int msg_source_type_parse(const char *name, int *out);

/* deliver_after delay for the given attempt count: 2^attempts minutes, the
 * exponent capped at 16 (SPEC §4 backoff table), in ms. */
int64_t msg_backoff_ms(int32_t attempts);

#endif
