/* pdu — SMS PDUs: 3GPP TS 23.040 TPDUs (SMS-SUBMIT, SMS-DELIVER,
 * SMS-STATUS-REPORT) and the TS 24.011 RP / CP layers that carry them
 * between a handset and the network.
 *
 * The decoder takes what a frontend sends to POST /api/messages_raw, in any
 * of these shapes, and says which it found:
 *   - a bare TPDU, or a TPDU after a leading SMSC address (length octet,
 *     TON/NPI, semi-octets; length 0 = none), as AT+CMGS / +CMT carry it;
 *   - RP-DATA (MS->network or network->MS) with the TPDU in RP-User-Data,
 *     RP-ACK, RP-ERROR, RP-SMMA;
 *   - CP-DATA wrapping any RP message, CP-ACK, CP-ERROR.
 * The input does not say which shape it is; pdu_decode tries CP, then RP,
 * then "SMSC address + TPDU", then a bare TPDU, and takes the first that
 * accounts for every octet (the rule is spelled out in pdu_wrap.c).
 * Decoded fields: addresses with TON/NPI (international -> leading '+',
 * alphanumeric (TON 5) decoded from GSM 7-bit), TP-MR, TP-RD, TP-SRR,
 * TP-RP, TP-UDHI, TP-PID, TP-DCS and its TS 23.038 coding group, validity
 * period (relative, absolute, enhanced), TP-SCTS, the user data header
 * (concatenation IEI 0x00 with 8-bit and 0x08 with 16-bit references) and
 * the text: GSM 7-bit default alphabet with the extension table -> UTF-8,
 * UCS-2 (UTF-16BE, surrogate pairs kept) -> UTF-8, 8-bit -> hex.
 *
 * The encoder builds the same structures back (for status reports and for
 * tests): pdu_encode(decode(x)) == x for every well-formed x that uses no
 * reserved values (unused bits zero, zero fill bits, canonical address
 * lengths), and pdu_decode_shape(encode(s), s.wrap) gives s's fields back.
 * (pdu_decode(encode(s)) always succeeds too, but can read another shape
 * when the octets happen to form one that is tried earlier.)
 *
 * Malformed input is refused with the octet offset and the field where it
 * went wrong ("octet 3 (TP-DA length): 27 digits exceed 20"), never read
 * past its end.  Pure functions, no I/O, no allocation, no global mutable
 * state: any thread.  Every buffer is the caller's; nothing is retained.
 */
#ifndef SMSC_PDU_H
#define SMSC_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PDU_MAX_BYTES 255        /* longest input accepted (CP layer incl.) */
#define PDU_ADDR_MAX 24          /* address text incl. '+' and NUL */
#define PDU_TEXT_MAX 1024        /* UTF-8 text (or hex for 8-bit) incl. NUL */
#define PDU_UDH_MAX 140

/* What the input was (its outermost meaningful message). */
enum pdu_kind {
    PDU_SMS_SUBMIT = 1,        /* TPDU MS -> SC */
    PDU_SMS_DELIVER = 2,       /* TPDU SC -> MS */
    PDU_SMS_STATUS_REPORT = 3, /* TPDU SC -> MS */
    PDU_RP_ACK = 10,
    PDU_RP_ERROR = 11,
    PDU_RP_SMMA = 12,
    PDU_CP_ACK = 20,
    PDU_CP_ERROR = 21,
};

/* The layers around the TPDU (or around the RP / CP message). */
enum pdu_wrap {
    PDU_WRAP_NONE = 0,         /* bare TPDU */
    PDU_WRAP_SMSC = 1,         /* leading SMSC address, then the TPDU */
    PDU_WRAP_RP = 2,           /* RP message (RP-DATA carries the TPDU) */
    PDU_WRAP_CP_RP = 3,        /* CP-DATA carrying an RP message */
    PDU_WRAP_CP = 4,           /* CP-ACK / CP-ERROR: nothing inside */
};

/* enum sms_charset of server/smstext.h: 0 gsm7, 1 8bit, 3 ucs2 */

struct pdu_addr {
    char text[PDU_ADDR_MAX];   /* "+46700007900", "12345", "MyBank"; "" */
    uint8_t ton;               /* type of number, 0..7 */
    uint8_t npi;               /* numbering plan, 0..15 */
    bool present;              /* the field was in the PDU (a TP address
                                * always is; an SMSC / RP address of
                                * length 0 is not).  The encoder writes an
                                * SMSC / RP address when present or when
                                * text is not empty. */
};

struct pdu_vp {
    uint8_t format;            /* TP-VPF: 0 none, 1 enhanced, 2 relative,
                                * 3 absolute */
    int64_t seconds;           /* relative and enhanced: duration */
    int64_t absolute_ms;       /* absolute: UTC ms since the epoch */
    uint8_t raw[7];            /* the octets as received.  The encoder
                                * writes raw back for an absolute or
                                * enhanced period when raw decodes to the
                                * same absolute_ms / seconds (a decoded
                                * struct), else it encodes the value:
                                * absolute in UTC, enhanced as integer
                                * seconds (<= 255 s), hh:mm:ss (< 100 h) or
                                * relative; relative is always the shortest
                                * period >= seconds. */
};

struct pdu_concat {
    bool present;
    uint16_t ref;              /* 8- or 16-bit reference */
    bool ref16;
    uint8_t total;             /* parts, 1..255 */
    uint8_t seq;               /* this part, 1..total */
};

struct pdu_sms {
    int kind;                  /* enum pdu_kind */
    int wrap;                  /* enum pdu_wrap */

    /* CP / RP layers */
    uint8_t cp_ti;             /* CP transaction identifier (0..15) */
    uint8_t cp_cause;          /* CP-ERROR */
    uint8_t rp_mr;             /* RP message reference */
    uint8_t rp_cause;          /* RP-ERROR: cause value 0..127 */
    bool rp_has_diag;          /* RP-ERROR: a diagnostic octet followed */
    uint8_t rp_diag;
    bool rp_mt;                /* network -> MS direction (the encoder
                                * derives it from kind for RP-DATA) */
    bool rp_has_ud;            /* RP-ACK / RP-ERROR: RP-User-Data (IEI 0x41)
                                * was present; it holds an SMS-DELIVER-REPORT
                                * or SMS-SUBMIT-REPORT, kept undecoded */
    uint8_t rp_ud[PDU_MAX_BYTES];
    size_t rp_ud_len;
    struct pdu_addr smsc;      /* leading SMSC address or RP-DA/RP-OA of
                                * the service centre */

    /* TPDU header */
    uint8_t first_octet;       /* as received; the encoder builds it from
                                * the flags below (unused bits zero) */
    uint8_t mr;                /* TP-MR (SUBMIT, STATUS-REPORT) */
    bool rd;                   /* TP-RD: reject duplicates (SUBMIT) */
    bool srr;                  /* TP-SRR / TP-SRI: status report wanted */
    bool srq;                  /* TP-SRQ (STATUS-REPORT): the report is for
                                * an SMS-COMMAND */
    bool rp;                   /* TP-RP: reply path */
    bool mms;                  /* TP-MMS bit clear: more messages to send
                                * (DELIVER, STATUS-REPORT) */
    bool lp;                   /* TP-LP: loop prevention (DELIVER,
                                * STATUS-REPORT) */
    bool udhi;
    struct pdu_addr da;        /* SUBMIT: destination; STATUS-REPORT: TP-RA */
    struct pdu_addr oa;        /* DELIVER: originator */
    uint8_t pid;
    uint8_t dcs;
    struct pdu_vp vp;          /* SUBMIT */
    int64_t scts_ms;           /* DELIVER, STATUS-REPORT: TP-SCTS (UTC) */
    int64_t dt_ms;             /* STATUS-REPORT: TP-DT (UTC) */
    uint8_t scts_raw[7];       /* as received; written back like vp.raw */
    uint8_t dt_raw[7];
    uint8_t st;                /* STATUS-REPORT: TP-ST */
    bool has_pi;               /* STATUS-REPORT: TP-PI was present */
    uint8_t pi;                /* its value (bit 0 PID, 1 DCS, 2 UDL).  When
                                * has_pi is false the encoder adds a TP-PI
                                * if pid, dcs or user data need one. */

    /* TP-DCS decoded (TS 23.038); the encoder reads only dcs */
    int charset;               /* enum sms_charset: 0 gsm7, 1 8bit, 3 ucs2 */
    const char *coding_group;  /* "general", "auto_deletion",
                                * "message_waiting_discard",
                                * "message_waiting_store",
                                * "message_waiting_store_ucs2",
                                * "data_coding_message_class", "reserved"
                                * (static string, never NULL after a
                                * successful decode) */
    bool compressed;
    bool has_class;
    uint8_t msg_class;         /* 0..3 when has_class */

    /* user data */
    uint8_t udl;               /* TP-UDL as received */
    uint8_t udh[PDU_UDH_MAX];  /* the header without its length octet */
    size_t udh_len;
    struct pdu_concat concat;
    char text[PDU_TEXT_MAX];   /* UTF-8 (gsm7, ucs2) or hex (8bit, and any
                                * compressed user data) */
    size_t text_len;           /* bytes in text (UTF-16 U+0000 decodes to a
                                * NUL byte); the encoder takes text up to
                                * its NUL when text_len is 0 */
};

struct pdu_error {
    size_t offset;             /* octet offset into the input */
    char field[32];            /* "TP-DA length", "RP-MTI", ... */
    char detail[160];          /* the whole message, offset and field in it */
};

/* Decodes len bytes (borrowed).  Returns 0 and fills *out, or -1 and
 * fills *err (err may be NULL) and clears *out. */
int pdu_decode(const uint8_t *p, size_t len, struct pdu_sms *out,
               struct pdu_error *err);
/* Decodes len bytes as the one shape wrap says (PDU_WRAP_CP and
 * PDU_WRAP_CP_RP both mean "a CP message"), for callers that know it;
 * returns and fills like pdu_decode. */
int pdu_decode_shape(const uint8_t *p, size_t len, int wrap,
                     struct pdu_sms *out, struct pdu_error *err);
/* Decodes a hex string (upper or lower case, even length, no spaces);
 * a bad hex digit is reported as an error too (offset = octet). */
int pdu_decode_hex(const char *hex, struct pdu_sms *out, struct pdu_error *err);

/* Encodes in (kind, wrap and the fields that kind uses; text in UTF-8 for
 * gsm7 / ucs2, hex for 8bit; udh bytes as given, the concatenation header
 * built from concat when udh_len is 0 and concat.present).  Valid pairs:
 * a TPDU kind with any wrap but PDU_WRAP_CP; an RP kind with PDU_WRAP_RP
 * or PDU_WRAP_CP_RP; a CP kind with PDU_WRAP_CP.  Returns the number of
 * bytes written to out, or -1 when in cannot be encoded (text too long, a
 * character outside the chosen alphabet, a bad address) with a reason in
 * err (offset = octet of the output). */
int pdu_encode(const struct pdu_sms *in, uint8_t *out, size_t cap,
               struct pdu_error *err);
/* The same as a hex string (upper case, NUL-terminated) into out; returns
 * its length or -1. */
int pdu_encode_hex(const struct pdu_sms *in, char *out, size_t cap,
                   struct pdu_error *err);

/* "SMS-SUBMIT", "RP-SMMA", ... ("unknown" otherwise). */
const char *pdu_kind_name(int kind);
/* "none", "smsc", "rp", "cp_rp", "cp" ("unknown" otherwise). */
const char *pdu_wrap_name(int wrap);

/* TP-DCS (TS 23.038 section 4) as struct pdu_sms reports it. */
struct pdu_dcs {
    int charset;               /* enum sms_charset */
    const char *coding_group;  /* static string, see struct pdu_sms */
    bool compressed;
    bool has_class;
    uint8_t msg_class;
};
void pdu_dcs_parse(uint8_t dcs, struct pdu_dcs *out);

/* TP-ST values a status report uses (TS 23.040 9.2.3.15). */
#define PDU_ST_DELIVERED 0x00
#define PDU_ST_EXPIRED 0x46     /* validity period expired */
#define PDU_ST_FAILED 0x41      /* incompatible destination / permanent */

/* ---------------------------------------------------------- text codecs
 * User-data character codecs (server/pdu_text.c).  Return 0, or
 * PDU_TEXT_BAD with *bad = the byte offset (in the input) of the first
 * character that cannot be converted, or PDU_TEXT_FULL when the output
 * buffer is too small.  UTF-8 input is strict (no overlong forms, no
 * surrogates, nothing above U+10FFFF); UTF-8 output is NUL-terminated. */
#define PDU_TEXT_BAD (-1)
#define PDU_TEXT_FULL (-2)

/* Converts `septets` GSM 7-bit septets starting `bit` bits into p (p must
 * hold (bit + 7 * septets + 7) / 8 octets) to UTF-8 (default alphabet,
 * ESC + extension table; ESC before a code without an extension reads as
 * that code's default character, ESC ESC and a final ESC as a space). */
int pdu_gsm7_decode(const uint8_t *p, size_t bit, size_t septets, char *out,
                    size_t cap, size_t *out_len);
/* Converts UTF-8 to septet codes (an extension character is ESC + code,
 * two septets) in out[0..cap); *n = septets. */
int pdu_gsm7_encode(const char *utf8, size_t len, uint8_t *out, size_t cap,
                    size_t *n, size_t *bad);
/* ORs n septets into p starting `bit` bits in (p zeroed by the caller,
 * holding (bit + 7 * n + 7) / 8 octets). */
void pdu_gsm7_pack(const uint8_t *septets, size_t n, size_t bit, uint8_t *p);
/* UTF-16BE (n octets) to UTF-8; a surrogate pair becomes one 4-byte
 * character, an unpaired surrogate or an odd n is PDU_TEXT_BAD. */
int pdu_ucs2_decode(const uint8_t *p, size_t n, char *out, size_t cap,
                    size_t *out_len, size_t *bad);
/* UTF-8 to UTF-16BE (surrogate pairs above U+FFFF); *n = octets. */
int pdu_ucs2_encode(const char *utf8, size_t len, uint8_t *out, size_t cap,
                    size_t *n, size_t *bad);
/* n octets as 2n upper-case hex digits and a NUL into out. */
void pdu_hex_format(const uint8_t *p, size_t n, char *out);
/* len hex digits (either case) to octets; *bad = the index of a character
 * that is not a hex digit, or len when len is odd. */
int pdu_hex_parse(const char *hex, size_t len, uint8_t *out, size_t cap,
                  size_t *n, size_t *bad);

/* ------------------------------------------------ codec building blocks
 * Shared by the server/pdu*.c files, which split one codec; other modules
 * use the calls above. */

/* Reads p[pos..end); error offsets count from the start of the input. */
struct pdu_reader {
    const uint8_t *p;          /* the whole input (borrowed) */
    size_t pos;                /* next octet */
    size_t end;                /* end of the element being read */
    struct pdu_error *err;
    size_t *reached;           /* NULL, or how far this reading of the
                                * input got (shared with sub-readers):
                                * raised to the end of every read, lowered
                                * to a rejected octet by pdu_reject */
};

/* Appends to p[0..cap). */
struct pdu_writer {
    uint8_t *p;
    size_t len;
    size_t cap;
    struct pdu_error *err;
};

/* Which TPDUs may appear: any (bare or after an SMSC address), only
 * MS->network (RP-DATA MO: SMS-SUBMIT), only network->MS (RP-DATA MT:
 * SMS-DELIVER, SMS-STATUS-REPORT). */
enum pdu_dir { PDU_DIR_ANY = 0, PDU_DIR_MO = 1, PDU_DIR_MT = 2 };

/* Fills *err with "octet <offset> (<field>): <detail>"; returns -1.  For
 * input that ends too early or goes on too long, or fields that do not
 * agree with each other. */
int pdu_fail(struct pdu_error *err, size_t offset, const char *field,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for an octet whose value the reading rejects: also lowers
 * *r->reached to offset (that octet was not accepted).  Returns -1. */
int pdu_reject(struct pdu_reader *r, size_t offset, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Borrows the next n octets (*out points into the input); -1 when fewer
 * are left before r->end. */
int pdu_read(struct pdu_reader *r, size_t n, const char *field,
             const uint8_t **out);
int pdu_read_u8(struct pdu_reader *r, const char *field, uint8_t *out);
/* -1 when octets are left before r->end after the message `what`. */
int pdu_read_done(const struct pdu_reader *r, const char *what);
/* Reads a length octet at r->pos and returns a reader for the n octets it
 * announces (sub), advancing r past them; -1 when fewer follow. */
int pdu_read_lv(struct pdu_reader *r, const char *field,
                struct pdu_reader *sub);
int pdu_write(struct pdu_writer *w, const uint8_t *b, size_t n,
              const char *field);
int pdu_write_u8(struct pdu_writer *w, uint8_t v, const char *field);

/* TP address (length = useful semi-octets, then type, then value). */
int pdu_tp_addr_decode(struct pdu_reader *r, const char *name,
                       struct pdu_addr *a);
int pdu_tp_addr_encode(struct pdu_writer *w, const char *name,
                       const struct pdu_addr *a);
/* Service-centre address: leading SMSC address, RP-OA, RP-DA (length =
 * octets incl. the type octet, 0 = absent; BCD only). */
int pdu_sc_addr_decode(struct pdu_reader *r, const char *name,
                       struct pdu_addr *a);
int pdu_sc_addr_encode(struct pdu_writer *w, const char *name,
                       const struct pdu_addr *a);

/* TP-SCTS / TP-DT / absolute TP-VP: 7 semi-octet octets (years 1990..2089,
 * time zone in quarter hours).  The encoder writes raw back when it
 * decodes to ms, else ms in UTC. */
int pdu_time_decode(struct pdu_reader *r, const char *field, uint8_t raw[7],
                    int64_t *ms);
int pdu_time_encode(struct pdu_writer *w, const char *field,
                    const uint8_t raw[7], int64_t ms);
/* TP-VP in the format vp->format (from the first octet). */
int pdu_vp_decode(struct pdu_reader *r, struct pdu_vp *vp);
int pdu_vp_encode(struct pdu_writer *w, const struct pdu_vp *vp);

/* The TPDU filling r exactly (server/pdu.c). */
int pdu_tpdu_decode(struct pdu_reader *r, int dir, struct pdu_sms *out);
int pdu_tpdu_encode(struct pdu_writer *w, const struct pdu_sms *in);

#endif
