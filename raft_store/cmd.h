/* cmd — the replicated commands and the raft entry that carries them.
 *
 * Every change to the replicated state is a command: a compact, versioned
 * binary record (common/buf.h varints), never JSON.  The leader packs many
 * commands into one raft entry (group commit):
 *
 *   entry   := header command*  padding to a multiple of 8
 *   header  := magic u32le "SMSB" | version u16le | reserved u16le |
 *              count u32le | payload_len u32le | now_ms u64le |
 *              proposer u64le | seq u64le                    (40 bytes)
 *   command := uvar length | bytes
 *
 * `now_ms` is the leader's wall clock when it packed the entry; the state
 * machine's clock is max(previous, now_ms).  `proposer`/`seq` only route
 * results back to waiting requests on the proposing node; the state machine
 * never looks at them.  Decoders check every length and value: an entry or
 * command that does not decode is rejected whole and changes nothing.
 * Pure, any thread.
 */
#ifndef SMSC_CMD_H
#define SMSC_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "raft_store/frontends.h"
#include "raft_store/media.h"
#include "raft_store/msg.h"
#include "raft_store/settings.h"
#include "raft_store/tables.h"

#define CMD_BATCH_MAGIC 0x42534d53u /* "SMSB" */
#define CMD_BATCH_VERSION 1
#define CMD_BATCH_HDR_LEN 40
#define CMD_VERSION 1
#define CMD_MAX_REQUEST_ID 128
#define CMD_MAX_NAME 255
#define CMD_MAX_LEASE_LIMIT 1000
#define CMD_MAX_NOTE 1024      /* event descriptions */
#define CMD_MAX_IMPORT 100000  /* records in one import or init */
#define CMD_MAX_RESTORE_CHUNK (512 * 1024)

enum cmd_type {
    CMD_INIT = 1,          /* first leader: cluster id + settings */
    CMD_NODE_INFO = 2,     /* a member's name and API address */
    CMD_TICK = 3,          /* leader clock: runs timed transitions */
    CMD_SETTINGS = 4,      /* replace the cluster settings */
    CMD_NODE_FORGET = 5,   /* a removed member's node_info (name only) */
    CMD_RESTORE = 6,       /* one chunk of a backup being restored */
    CMD_MSG_CREATE = 16,
    CMD_MSG_PATCH = 17,
    CMD_MSG_RETRY = 18,    /* PUT / increment_delivery_attempt */
    CMD_MSG_DELIVERED = 19,
    CMD_MSG_DELETE = 20,
    CMD_MSG_LEASE = 21,    /* queue fetch with lease_seconds */
    CMD_EVENT_ADD = 22,    /* POST /api/events */
    CMD_SMMA = 23,         /* RP-SMMA: a subscriber's waiting messages
                            * become deliverable now */
    CMD_CDR_ACK = 24,      /* a CDR writer stored the outbox up to a seq */
    CMD_ROUTE_PUT = 32,    /* create (id 0) or replace a route */
    CMD_ROUTE_DELETE = 33,
    CMD_ROUTE_IMPORT = 34,
    CMD_RULE_PUT = 40,     /* translation rules, the same three */
    CMD_RULE_DELETE = 41,
    CMD_RULE_IMPORT = 42,
    CMD_LOC_PUT = 48,      /* upsert a subscriber location */
    CMD_LOC_DELETE = 49,
    CMD_FE_HEARTBEAT = 64, /* register or refresh a frontend */
    CMD_MMS_PUT = 56,      /* create (id 0) or replace an MMS message */
    CMD_MMS_DELETE = 57,
    CMD_SS7_PUT = 58,      /* create (id 0) or replace an SS7 event */
    CMD_SS7_DELETE = 59,
};

/* What the leader's pipeline decided for a new message (SPEC §6). */
enum create_action {
    ACT_UNROUTED = 0,      /* no route matched: dest_smsc stays null */
    ACT_FORWARD = 1,       /* a route chose dest_smsc */
    ACT_DROP = 2,          /* a drop route: stored as dropped */
    ACT_AUTO_REPLY = 3,    /* delivered at once, reply stored with it */
    ACT_CLIENT_DEST = 4,   /* dest_smsc given by the client */
};

/* Where a request id came from: it decides how long it is remembered. */
enum cmd_key_kind {
    KEY_NONE = 0,    /* internal command, not de-duplicated */
    KEY_CLIENT = 1,  /* Idempotency-Key: fingerprint_ttl_minutes */
    KEY_NODE = 2,    /* made by the receiving node: node_key_ttl */
};

/* Fields a PATCH may set (cmd.u.patch.mask). */
enum patch_field {
    PATCH_DEST_SMSC = 1u << 0,
    PATCH_DELIVER_AFTER = 1u << 1,
    PATCH_BODY = 1u << 2,       /* also message_parts and charset */
    PATCH_STATUS = 1u << 3,
    PATCH_EXPIRES = 1u << 4,
    PATCH_DEADLETTER = 1u << 5,
    PATCH_ATTEMPTS = 1u << 6,
    PATCH_DELIVER_TIME = 1u << 7,
    PATCH_ALL = (1u << 8) - 1,
};

/* Routes and translation rules travel as records of one table kind. */
struct cmd_import {
    bool replace;        /* replace the table, else merge by id */
    uint32_t n;
    uint32_t cap;
    void **recs;         /* struct route_rec * or struct xlat_rule_rec * */
};

struct cmd_init {
    char *cluster_id;
    struct store_settings settings;
    struct cmd_import routes;    /* initial sms_routes */
    struct cmd_import rules;     /* initial translation_rules */
};

struct cmd_node_info {
    char *name;
    char *api_url;       /* "http://127.0.0.1:8080" */
    char *raft_address;  /* "127.0.0.1:9100" */
    uint64_t raft_id;
};

struct cmd_patch {
    int64_t id;
    uint32_t mask;       /* enum patch_field bits */
    struct msg_data set; /* values of the fields in mask */
};

struct cmd_create {
    struct msg_data m;
    uint8_t action;      /* enum create_action */
    char *xlat_note;     /* "number_translated" description, NULL = none */
    struct msg_data *reply;  /* ACT_AUTO_REPLY: the reply, or NULL when
                              * the sender cannot be answered */
    uint8_t reply_action;    /* the reply's own routing outcome */
    uint64_t mr_key;     /* raw SMS-SUBMIT: hash of originator, TP-MR and
                          * destination (retransmission check), 0 = none */
    bool tp_rd;          /* TP-RD: refuse a retransmission with 409 */
};

struct cmd_event {
    int64_t id;          /* message id */
    char *name;
    char *description;
    char *source;        /* NULL = the node in cmd.node */
};

/* A backup's state bytes (a snapshot) travel in chunks, in order; the
 * last one applies them (SPEC §4 POST /api/restore). */
struct cmd_restore {
    uint64_t total;      /* bytes of the whole state */
    uint64_t offset;     /* where this chunk goes */
    uint64_t check;      /* hash_stable() of the whole state */
    uint8_t *bytes;      /* owned */
    uint32_t len;
};

struct cmd_cdr_ack {
    char *writer;        /* "cluster" (shared SQL) or a node name (SQLite) */
    int64_t upto;        /* every outbox seq <= upto is stored */
    bool shared;         /* the one writer of a shared database */
};

struct cmd_loc_put {
    struct location_rec rec;
    bool by_imsi;        /* upsert by IMSI (POST), else by id (PATCH) */
};

struct cmd_lease {
    char *smsc;
    bool include_unrouted;
    uint32_t limit;      /* 1..CMD_MAX_LEASE_LIMIT */
    int64_t lease_ms;    /* > 0 */
};

struct cmd {
    uint8_t type;        /* enum cmd_type */
    uint8_t key_kind;    /* enum cmd_key_kind */
    char *request_id;    /* NULL when key_kind == KEY_NONE */
    char *node;          /* the node the request reached (event source) */
    union {
        struct cmd_init init;
        struct cmd_node_info node_info;
        struct store_settings settings;
        struct cmd_create create;
        struct cmd_patch patch;
        int64_t id;                  /* retry, delete, *_DELETE */
        struct {
            int64_t id;
            char *dest_smsc;         /* NULL = keep */
        } delivered;
        struct cmd_lease lease;
        struct cmd_event event;
        char *msisdn;                /* SMMA */
        struct cmd_cdr_ack cdr_ack;
        struct cmd_restore restore;
        struct route_rec route;      /* ROUTE_PUT */
        struct xlat_rule_rec rule;   /* RULE_PUT */
        struct cmd_import import;    /* ROUTE_IMPORT, RULE_IMPORT */
        struct cmd_loc_put loc;
        struct frontend_rec fe;      /* FE_HEARTBEAT */
        struct mms_rec mms;          /* MMS_PUT */
        struct ss7_rec ss7;          /* SS7_PUT */
    } u;
};

/* Zeroes c for the given type (strings NULL, msg_data initialised). */
void cmd_init(struct cmd *c, enum cmd_type type);
void cmd_free(struct cmd *c);
/* Frees the records of an import (route records when routes, else rules). */
void cmd_import_free(struct cmd_import *im, bool routes);
/* Appends a record to an import (taking it over). */
void cmd_import_add(struct cmd_import *im, void *rec);
/* Appends the encoding of c to b. */
void cmd_encode(struct buf *b, const struct cmd *c);
/* Decodes one command from p[0..len).  Returns 0, or -1 when malformed
 * (c is then freed).  Exactly len bytes must be consumed. */
int cmd_decode(const uint8_t *p, size_t len, struct cmd *c);

struct cmd_batch_hdr {
    uint32_t count;
    uint32_t payload_len; /* bytes after the header, before padding */
    int64_t now_ms;
    uint64_t proposer;
    uint64_t seq;
};

/* Starts an entry in b (reserving the header). */
void cmd_batch_begin(struct buf *b);
/* Appends one encoded command (from cmd_encode) to the entry. */
void cmd_batch_add(struct buf *b, const uint8_t *cmd, size_t len);
/* Writes the header and pads to a multiple of 8. */
void cmd_batch_end(struct buf *b, uint32_t count, int64_t now_ms,
                   uint64_t proposer, uint64_t seq);

/* Iterates the commands of an entry. */
struct cmd_batch_iter {
    struct rd rd;
    uint32_t left;
};

/* Checks the header of an entry of len bytes.  Returns 0 and fills *h and
 * *it, or -1 when the entry is malformed. */
int cmd_batch_open(const uint8_t *p, size_t len, struct cmd_batch_hdr *h,
                   struct cmd_batch_iter *it);
/* Next command's bytes: returns 1 and sets *p and *len, 0 at the end, -1 when
 * the entry is malformed. */
int cmd_batch_next(struct cmd_batch_iter *it, const uint8_t **p, size_t *len);

const char *cmd_type_name(int type);
/* The settings as (name, value) pairs; the decoder sets r->err on an
 * unknown name or an out-of-range value. */
void cmd_settings_encode(struct buf *b, const struct store_settings *s);
void cmd_settings_decode(struct rd *r, struct store_settings *s);

#endif
