/* pdu_fixtures — test vectors for test_pdu.c: known-good SMS PDUs from
 * public sources (the SPEC's reference SUBMIT, the classic SMS-DELIVER of
 * dreamfabric.com and many PDU tutorials, the captures and encoder vectors
 * of python-gsmmodem's test suite, warthog618/sms validity periods), PDUs
 * built for the cases those lack (alphanumeric senders, 16-bit
 * concatenation references, extension characters after a UDH, UCS-2 with
 * a surrogate pair, status reports with TP-PI; their user data packed by an
 * independent script), the RP / CP layers of TS 24.011 around them, and
 * malformed inputs with the octet and field each must be refused at; the
 * tables of the field tests and the helpers the tests share.  Included by
 * test_pdu.c only, after <cmocka.h>. */
#ifndef SMSC_PDU_FIXTURES_H
#define SMSC_PDU_FIXTURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/pdu.h"
#include "server/smstext.h"

/* ------------------------------------------------------------ TPDUs */

struct pdu_vec {
    const char *name;
    const char *hex;
    bool canonical;   /* encode(decode(hex)) gives hex back */
    int kind;
    const char *smsc; /* leading SMSC address; NULL = length 0 */
    const char *addr; /* TP-DA / TP-RA, or TP-OA of a DELIVER */
    uint8_t ton, npi;
    uint8_t mr;
    uint8_t dcs;
    const char *text;
    const char *scts; /* UTC "YYYY-MM-DD hh:mm:ss" of TP-SCTS (TP-DT for a
                       * status report), NULL = none */
};

#define REF_SUBMIT "0001000B916407007009F0000004D4F29C0E"
#define CLASSIC_DELIVER_TPDU                                                   \
    "040B911346610089F60000208062917314080CC8F71D14969741F977FD07"
#define CLASSIC_DELIVER "07919761989901F0" CLASSIC_DELIVER_TPDU
#define SR_TPDU "06D60B911326880736F4111011719551401110117195714000"
#define SR_NO_PI "00" SR_TPDU
#define SR_WITH_PI                                                             \
    "00062A0B916407007009F031308051206180313080512071800007000004D4F29C0E"
#define CONCAT16_SUBMIT                                                        \
    "0041000B916407007009F000001006080412340302D0B09C0EA2DFDF"
#define CONCAT8_EXT_SUBMIT                                                     \
    "0041000B916407007009F000001E0500032A0201A0F2F4B8AC03D53665D086F75E6F7CA0" \
    "0D0ABF4901"
#define EMOJI_SUBMIT "0001000B916407007009F000080A004800690020D83DDE00"
#define ALNUM_DELIVER "00040BD0CDBC30EC5E0300003130805120618002C834"

static const struct pdu_vec pdu_vectors[] = {
    {"spec reference", REF_SUBMIT, true, PDU_SMS_SUBMIT, NULL, "+46700007900",
     1, 1, 0, 0x00, "Test", NULL},
    {"classic deliver", CLASSIC_DELIVER, true, PDU_SMS_DELIVER, "+79168999100",
     "+31641600986", 1, 1, 0, 0x00, "How are you?", "2002-08-26 19:37:41"},
    {"dreamfabric deliver, TON 4 NPI 8",
     "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
     true, PDU_SMS_DELIVER, "+27381000015", "27838890001", 4, 8, 0, 0x00,
     "hellohello", "1999-03-29 13:16:59"},
    {"gsmmodem deliver +2h",
     "06917228195339040B917228214365F700003130805120618005D4F29C2E03", true,
     PDU_SMS_DELIVER, "+2782913593", "+27821234567", 1, 1, 0, 0x00, "Test2",
     "2013-03-08 13:02:16"},
    {"gsmmodem deliver +8h",
     "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C"
     "88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
     true, PDU_SMS_DELIVER, "+85290000000", "+85291234567", 1, 1, 0, 0x00,
     "It is easy to read text messages via AT commands.",
     "2007-04-12 15:25:42"},
    {"gsmmodem extension table",
     "06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
     true, PDU_SMS_DELIVER, "+2782913593", "+27821234567", 1, 1, 0, 0x00,
     "@{t\xC3\xA9st}!", "2013-03-26 11:35:25"},
    {"gsmmodem submit, relative VP, SRR",
     "07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
     true, PDU_SMS_SUBMIT, "+31624000000", "+31628870634", 1, 1, 13, 0x00,
     "www.diafaan.com", NULL},
    {"gsmmodem submit Hello World",
     "0001000B917228001011F100000CC8329BFD065DDF72363904", true,
     PDU_SMS_SUBMIT, NULL, "+27820001111", 1, 1, 0, 0x00, "Hello World!",
     NULL},
    {"gsmmodem submit UCS-2, 52 weeks",
     "07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01", true,
     PDU_SMS_SUBMIT, "+44000000000", "+123456789", 1, 1, 0, 0x08,
     "\xE4\xB8\x96\xE7\x95\x8C\xE6\x82\xA8\xE5\xA5\xBD\xEF\xBC\x81", NULL},
    {"gsmmodem submit national numbers",
     "04A12143F5310D0AA110624521430000A91BD4F29C0E6A97E7F3F0B9AC03B1DFE3301BE4"
     "AEB7C565F91C",
     true, PDU_SMS_SUBMIT, "12345", "0126541234", 2, 1, 13, 0x00,
     "Test message: local numbers", NULL},
    {"gsmmodem submit UCS-2 Japanese",
     "07914346466554F601000B914316565811F9000806304253F68449", true,
     PDU_SMS_SUBMIT, "+34646456456", "+34616585119", 1, 1, 0, 0x08,
     "\xE3\x81\x82\xE5\x8F\xB6\xE8\x91\x89", NULL},
    {"gsmmodem submit 8-bit",
     "0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421", true,
     PDU_SMS_SUBMIT, "+2781191", "+27821234567", 1, 1, 0, 0x04,
     "48656C6C6F20776F726C6421", NULL},
    {"gsmmodem submit absolute VP",
     "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F4"
     "3C885E9ED301",
     true, PDU_SMS_SUBMIT, NULL, "+27820001111", 1, 1, 0, 0x00,
     "Timestamp validity test", NULL},
    {"gsmmodem deliver, concat, fill bit 1",
     "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABE"
     "EB2074D85E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941"
     "B19CAB0603DDD36C36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20",
     false, PDU_SMS_DELIVER, "+2781191", "2781188", 0, 1, 0, 0x00,
     "Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on "
     "01/07/2013. ",
     "2013-06-25 14:40:48"},
    {"gsmmodem status report", SR_NO_PI, true, PDU_SMS_STATUS_REPORT, NULL,
     "+31628870634", 1, 1, 214, 0x00, "", "2011-01-11 16:59:17"},
    {"status report with TP-PI", SR_WITH_PI, true, PDU_SMS_STATUS_REPORT,
     NULL, "+46700007900", 1, 1, 42, 0x00, "Test", "2013-03-08 13:02:17"},
    {"alphanumeric sender FRANCOIS",
     "00040ED04669D0397C26A700003130805120618002C834", true, PDU_SMS_DELIVER,
     NULL, "FRANCOIS", 5, 0, 0, 0x00, "Hi", "2013-03-08 13:02:16"},
    {"alphanumeric sender MyBank", ALNUM_DELIVER, true, PDU_SMS_DELIVER, NULL,
     "MyBank", 5, 0, 0, 0x00, "Hi", "2013-03-08 13:02:16"},
    {"16-bit concatenation", CONCAT16_SUBMIT, true, PDU_SMS_SUBMIT, NULL,
     "+46700007900", 1, 1, 0, 0x00, "Part two", NULL},
    {"UDH fill bit and extension characters", CONCAT8_EXT_SUBMIT, true,
     PDU_SMS_SUBMIT, NULL, "+46700007900", 1, 1, 0, 0x00,
     "Price: 5\xE2\x82\xAC [ok] {x}", NULL},
    {"UCS-2 with 16-bit concatenation",
     "0041000B916407007009F000080B060804ABCD020103A903BC", true,
     PDU_SMS_SUBMIT, NULL, "+46700007900", 1, 1, 0, 0x08,
     "\xCE\xA9\xCE\xBC", NULL},
    {"UCS-2 emoji (surrogate pair)", EMOJI_SUBMIT, true, PDU_SMS_SUBMIT, NULL,
     "+46700007900", 1, 1, 0, 0x08, "Hi \xF0\x9F\x98\x80", NULL},
    {"bare TPDU", "01000B916407007009F0000004D4F29C0E", true, PDU_SMS_SUBMIT,
     NULL, "+46700007900", 1, 1, 0, 0x00, "Test", NULL},
};

/* python-gsmmodem's three-part concatenated SUBMIT (8-bit reference 0). */
static const char lorem[] =
    "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua.Ut enim ad minim "
    "veniam, quinostrud exercitation ullamco laboris nisi ut aliquip ex ea "
    "commodo consequat.Duis aute irure dolor in reprehenderit in voluptate "
    "velit esse cillum doloe eu fugiat nulla pariatur.Excepteur sint occaecat "
    "cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id "
    "est laborum";

static const char *const lorem_parts[] = {
    "0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0"
    "799A0E0AB7CB741668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079"
    "990C22BF41E5747DDE7E9341F4721BFE9683D2EE719A9C26D7DD74509D0E6287C56F7919"
    "54A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795DDE936284C06B5D3EE741B64"
    "2FBBD3E1360B14AFA7DD",
    "0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F"
    "37A8CE6687DBE337881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1"
    "BBDD7E93DFA0F1DB3D2FC7EB61BA8B584FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B"
    "242FC3E56574D94D2ECBD37450DA0DB2BFD975383D4C2F83EC65769A0E2ACFE765D038CD"
    "66D7DB20F29BFD2E83CA",
    "0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F2"
    "74985E97BB8AF871194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7"
    "DB0D82CBDF6972D94D6781E675371D947683C675363C0C8AD7D3A0B7D99C1EA7C3207279"
    "5E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C0E6287C56F79BD0D",
};

/* ------------------------------------------------------------ RP / CP */

struct layer_vec {
    const char *name;
    const char *hex;
    int kind;
    int wrap;
    uint8_t cp_ti, cp_cause, rp_mr, rp_cause;
    bool rp_mt;
    const char *smsc;   /* RP-DA (MO) / RP-OA (MT); NULL = empty */
    const char *rp_ud;  /* RP-User-Data of RP-ACK / RP-ERROR as hex */
    int diag;           /* RP-ERROR diagnostic, -1 = none */
};

#define RP_SC "0791447758100650" /* +447785016005 */
#define RP_DATA_MO "00050007914477581006501101000B916407007009F0000004D4F29C0E"

static const struct layer_vec layer_vectors[] = {
    {"RP-DATA MS->network", RP_DATA_MO, PDU_SMS_SUBMIT, PDU_WRAP_RP, 0, 0, 5, 0,
     false, "+447785016005", NULL, -1},
    {"RP-DATA network->MS", "0105" RP_SC "001E" CLASSIC_DELIVER_TPDU,
     PDU_SMS_DELIVER, PDU_WRAP_RP, 0, 0, 5, 0, true, "+447785016005", NULL,
     -1},
    {"RP-DATA network->MS, status report", "0107" RP_SC "0019" SR_TPDU,
     PDU_SMS_STATUS_REPORT, PDU_WRAP_RP, 0, 0, 7, 0, true, "+447785016005",
     NULL, -1},
    {"RP-ACK MS->network", "0205", PDU_RP_ACK, PDU_WRAP_RP, 0, 0, 5, 0, false,
     NULL, NULL, -1},
    {"RP-ACK network->MS", "03FE", PDU_RP_ACK, PDU_WRAP_RP, 0, 0, 0xFE, 0, true,
     NULL, NULL, -1},
    {"RP-ACK with RP-User-Data", "020541020000", PDU_RP_ACK, PDU_WRAP_RP, 0, 0,
     5, 0, false, NULL, "0000", -1},
    {"RP-ERROR network->MS", "0505012A", PDU_RP_ERROR, PDU_WRAP_RP, 0, 0, 5, 42,
     true, NULL, NULL, -1},
    {"RP-ERROR with diagnostic and user data", "0409026F01410300D000",
     PDU_RP_ERROR, PDU_WRAP_RP, 0, 0, 9, 111, false, NULL, "00D000", 1},
    {"RP-SMMA", "0605", PDU_RP_SMMA, PDU_WRAP_RP, 0, 0, 5, 0, false, NULL, NULL,
     -1},
    {"CP-DATA with RP-DATA", "09011D" RP_DATA_MO, PDU_SMS_SUBMIT,
     PDU_WRAP_CP_RP, 0, 0, 5, 0, false, "+447785016005", NULL, -1},
    {"CP-DATA with RP-ACK", "B9010203FE", PDU_RP_ACK, PDU_WRAP_CP_RP, 11, 0,
     0xFE, 0, true, NULL, NULL, -1},
    {"CP-DATA with RP-SMMA", "8901020612", PDU_RP_SMMA, PDU_WRAP_CP_RP, 8, 0,
     0x12, 0, false, NULL, NULL, -1},
    {"CP-ACK", "9904", PDU_CP_ACK, PDU_WRAP_CP, 9, 0, 0, 0, false, NULL, NULL,
     -1},
    {"CP-ERROR", "19106F", PDU_CP_ERROR, PDU_WRAP_CP, 1, 111, 0, 0, false, NULL,
     NULL, -1},
};

/* ------------------------------------------------------------ malformed */

struct bad_vec {
    const char *hex;
    size_t offset;
    const char *field;
    const char *detail; /* a substring of the detail */
};

static const struct bad_vec bad_vectors[] = {
    {"", 0, "input", "empty"},
    {"0", 0, "hex", "odd number"},
    {"0G", 0, "hex", "not a hex digit"},
    {"00 01", 1, "hex", "not a hex digit"},
    {"0001001B916407007009F0000004D4F29C0E", 3, "TP-DA length",
     "octet 3 (TP-DA length): 27 digits exceed 20"},
    {"0001000B916407007009F0000005D4F29C0E", 13, "TP-UDL",
     "5 septets need 5 octets, 4 follow"},
    {"0001000B916407007009F0000003D4F29C0E", 13, "TP-UDL",
     "3 septets need 3 octets, 4 follow"},
    {REF_SUBMIT "00", 13, "TP-UDL", "4 septets need 4 octets, 5 follow"},
    {"0001000B916407007009F00000A1D4F29C0E", 13, "TP-UDL",
     "161 septets exceed 160"},
    {"0001000B916407007009F00008C3", 13, "TP-UDL", "195 octets exceed 140"},
    {"0001000B116407007009F0000004D4F29C0E", 4, "TP-DA type", "bit 8"},
    {"07919761989901F0070B911346610089F60000208062917314080CC8F71D14969741F977"
     "FD07",
     8, "TP-MTI", "message type 3 is reserved"},
    {"07919761989901F0040B91134661008916" "0000208062917314080CC8F71D14969741"
     "F977FD07",
     16, "TP-OA digits", "filler after digit 11 is 0x1, not 0xF"},
    {"0041000B916407007009F0000003060804", 14, "TP-UDHL",
     "does not fit in 3 octets"},
    {"0041000B916407007009F0000000", 14, "TP-UDHL", "does not fit in 0"},
    {"0041000B916407007009F00000050300050100", 16, "TP-UDH",
     "5 octets exceed the 1 left"},
    {"0041000B916407007009F0000006040002010200", 16, "TP-UDH",
     "concatenation IE 0x00 has 2 octets, not 3"},
    {"0041000B916407007009F000000706080412340201", 14, "TP-UDHL",
     "takes 8 septets, TP-UDL is 7"},
    {"0001000B916407007009F000080A004800690020D83D0000", 20, "TP-UD",
     "unpaired surrogate"},
    {"0001000B916407007009F0000803004800", 16, "TP-UD", "odd length"},
    {"07919761989901F0040B911346610089F60000203162917314080CC8F71D14969741F977"
     "FD07",
     20, "TP-SCTS", "month 13"},
    {"07919761989901F0040B911346610089F600002080A2917314080CC8F71D14969741F977"
     "FD07",
     21, "TP-SCTS", "day octet 0xA2"},
    {"07919761989901F0040B911346610089F6000020802391731408", 21, "TP-SCTS",
     "day 32"},
    {"07919761989901F0040B911346610089F6000020200391731408", 21, "TP-SCTS",
     "day 30 out of range"},
    {"0041000B916407007009F0000003010000", 15, "TP-UDH",
     "IE 0x00 has no length octet"},
    {"07919761989901F0040B911346610089F60000208062917314A00CC8F71D14969741F977"
     "FD07",
     25, "TP-SCTS", "time zone octet 0xA0"},
    {"07919761989901FF040B911346610089F60000208062917314080CC8F71D14969741F977"
     "FD07",
     7, "SMSC address digits", "filler 0xF"},
    {"0009000B916407007009F000000700000000000004D4F29C0E", 13, "TP-VP",
     "enhanced format 7 is reserved"},
    {"0009000B916407007009F000000201010000000004D4F29C0E", 15, "TP-VP",
     "unused enhanced octet"},
    {"0009000B916407007009F000008200000000000004D4F29C0E", 13, "TP-VP",
     "extension"},
    {"0009000B916407007009F0000003306A5400000004D4F29C0E", 15, "TP-VP",
     "hh:mm:ss"},
    {SR_NO_PI "0000", 27, "trailing data", "after the end of the SMS-STATUS"},
    {SR_NO_PI "80", 26, "TP-PI", "extension"},
    {"0105" RP_SC "001E" CLASSIC_DELIVER_TPDU "00", 42, "trailing data",
     "after the end of the RP-DATA"},
    {"000500" RP_SC "1E" CLASSIC_DELIVER_TPDU, 12, "TP-MTI",
     "SMS-DELIVER does not travel MS->network"},
    {"0105" RP_SC "0011" "01000B916407007009F0000004D4F29C0E", 12, "TP-MTI",
     "SMS-SUBMIT does not travel network->MS"},
    {"000500" RP_SC "19" SR_TPDU, 12, "TP-MTI", "SMS-COMMAND"},
    {"0005" RP_SC RP_SC "1101000B916407007009F0000004D4F29C0E", 2,
     "RP-OA length", "must be 0"},
    {"0105" RP_SC RP_SC "1E" CLASSIC_DELIVER_TPDU, 10, "RP-DA length",
     "must be 0"},
    {"000500" RP_SC "12" "01000B916407007009F0000004D4F29C0E", 11,
     "RP-User-Data length", "18 octets announced, 17 follow"},
    {"0505012A00", 4, "RP-User-Data IEI", "0x00 is not RP-User-Data"},
    {"0505032A0101410100", 2, "RP-Cause length", "3 octets, expected 1 or 2"},
    {"0405018A41020000", 3, "RP-Cause", "extension bit"},
    {"09013000050007914477581006501101000B916407007009F0000004D4F29C0E", 2,
     "CP-User-Data length", "48 octets announced"},
    {"0901020605FF", 5, "trailing data", "after the end of the CP-DATA"},
};

/* PDUs whose every proper prefix must be refused (a status report or an
 * RP-ERROR cut before its optional parts would be valid). */
static const char *const truncated_vectors[] = {
    REF_SUBMIT,
    CLASSIC_DELIVER,
    SR_NO_PI,
    CONCAT8_EXT_SUBMIT,
    EMOJI_SUBMIT,
    ALNUM_DELIVER,
    "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F4"
    "3C885E9ED301",
    "09011D" RP_DATA_MO,
    "0105" RP_SC "001E" CLASSIC_DELIVER_TPDU,
    "0505012A",
};

/* ------------------------------------------------------------ fields */

/* TP-SCTS octets and the UTC time they stand for. */
static const struct {
    const char *scts, *utc;
} tz_cases[] = {
    {"51117200000000", "2015-11-27 00:00:00"},
    {"51117200000080", "2015-11-26 22:00:00"}, /* +2 h */
    {"70402132522423", "2007-04-12 15:25:42"}, /* +8 h */
    {"7040213252242B", "2007-04-13 07:25:42"}, /* -8 h */
    {"00209200000000", "2000-02-29 00:00:00"},
    {"99211332959500", "1999-12-31 23:59:59"},
};

/* A SUBMIT's first octet and TP-VP octets, and what they decode to. */
static const struct {
    const char *fo, *vp;
    uint8_t format;
    int64_t seconds;
    const char *absolute;
} vp_cases[] = {
    {"11", "00", 2, 300, NULL},
    {"11", "8F", 2, 12 * 3600, NULL},
    {"11", "90", 2, 12 * 3600 + 1800, NULL},
    {"11", "A7", 2, 24 * 3600, NULL},
    {"11", "A8", 2, 2 * 86400, NULL},
    {"11", "C4", 2, 30 * 86400, NULL},
    {"11", "C5", 2, 5 * 604800, NULL},
    {"11", "FF", 2, 63 * 604800, NULL},
    {"19", "71801311124523", 3, 0, "2017-08-31 03:21:54"},
    {"19", "31700131930080", 3, 0, "2013-07-10 11:39:00"},
    {"09", "00000000000000", 1, 0, NULL},
    {"09", "01000000000000", 1, 300, NULL},
    {"09", "01010000000000", 1, 600, NULL},
    {"09", "02FF0000000000", 1, 255, NULL},
    {"09", "03302154000000", 1, 3 * 3600 + 12 * 60 + 45, NULL},
    {"09", "42FF0000000000", 1, 255, NULL}, /* single shot */
};

/* Periods given as values: the octets the encoder picks, the value they
 * decode to. */
static const struct {
    uint8_t format;
    int64_t seconds;
    const char *vp;
    int64_t decoded;
} vp_value_cases[] = {
    {2, 3600, "0B", 3600},
    {2, 3601, "0C", 3900},
    {2, 0, "00", 300},
    {1, 100, "02640000000000", 100},
    {1, 11565, "03302154000000", 11565},
    {1, 10 * 86400, "01B00000000000", 10 * 86400},
    {1, 0, "00000000000000", 0},
};

/* Service-centre address fields (python-gsmmodem's SMSC vectors) and the
 * field each bad one is refused for. */
static const struct {
    const char *hex, *text, *field;
} sc_cases[] = {
    {"06918967452301", "+9876543210", NULL},
    {"069189674523F1", "+987654321", NULL},
    {"07917283010010F5", "+27381000015", NULL},
    {"04A12143F5", "12345", NULL},
    {"0191", "", NULL},
    {"00", "", NULL},
    {"0C9189674523010000000000", NULL, "SMSC address length"},
    {"069189674523F1F1", NULL, "trailing data"},
    {"0691896745F301", NULL, "SMSC address digits"},
    {"03D04F79", NULL, "SMSC address type"},
    {"05918967", NULL, "SMSC address digits"},
};

/* Headers given as udh bytes: the concatenation read from them (an IE
 * with 0 parts or a sequence number outside 1..parts is ignored, the last
 * valid one wins). */
static const struct {
    const char *udh;
    size_t len;
    bool present;
    uint8_t seq;
} udh_cases[] = {
    {"\x00\x03\x2A\x02\x03", 5, false, 0},  /* seq > total */
    {"\x00\x03\x2A\x00\x00", 5, false, 0},  /* total 0 */
    {"\x00\x03\x2A\x02\x00", 5, false, 0},  /* seq 0 */
    {"\x00\x03\x2A\x02\x01\x00\x03\x2B\x02\x02", 10, true, 2}, /* last */
    {"\x00\x03\x2A\x02\x01\x00\x03\x2B\x02\x03", 10, true, 1},
    {"\x05\x04\x0B\x84\x23\xF0", 6, false, 0}, /* ports only */
};

/* RP / CP messages built from fields (RP-MR 0x21, TI 5, causes 42 / 81,
 * diagnostic 7) and their octets. */
static const struct {
    int kind, wrap;
    bool mt;
    const char *hex;
} rp_cp_cases[] = {
    {PDU_RP_ACK, PDU_WRAP_RP, true, "0321"},
    {PDU_RP_ACK, PDU_WRAP_CP_RP, false, "590102" "0221"},
    {PDU_RP_ERROR, PDU_WRAP_RP, false, "0421022A07"},
    {PDU_RP_SMMA, PDU_WRAP_RP, false, "0621"},
    {PDU_CP_ACK, PDU_WRAP_CP, false, "5904"},
    {PDU_CP_ERROR, PDU_WRAP_CP, false, "591051"},
};

/* ------------------------------------------------------------ helpers */

/* "YYYY-MM-DD hh:mm:ss" (UTC) -> ms since the epoch. */
static int64_t utc_ms(const char *s)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    assert_int_equal(sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000;
}

static void decode_ok(const char *hex, struct pdu_sms *s)
{
    struct pdu_error e;

    if (pdu_decode_hex(hex, s, &e) != 0)
        fail_msg("%s: %s", hex, e.detail);
}

static void encodes_to(const struct pdu_sms *s, const char *hex)
{
    char out[2 * PDU_MAX_BYTES + 1];
    struct pdu_error e;

    if (pdu_encode_hex(s, out, sizeof out, &e) < 0)
        fail_msg("encode: %s", e.detail);
    if (strcasecmp(out, hex) != 0)
        fail_msg("encoded %s\n     want %s", out, hex);
}

/* Encodes s and decodes the result into *out. */
static void roundtrip(const struct pdu_sms *s, struct pdu_sms *out)
{
    uint8_t buf[PDU_MAX_BYTES];
    struct pdu_error e;
    int n = pdu_encode(s, buf, sizeof buf, &e);

    if (n < 0)
        fail_msg("encode: %s", e.detail);
    if (pdu_decode(buf, (size_t)n, out, &e) != 0)
        fail_msg("decode of the encoding: %s", e.detail);
}

static void addr_equal(const struct pdu_addr *a, const struct pdu_addr *b)
{
    assert_string_equal(a->text, b->text);
    assert_int_equal(a->ton, b->ton);
    assert_int_equal(a->npi, b->npi);
}

/* The fields the encoder reads agree between a (decoded) and b. */
static void fields_equal(const struct pdu_sms *a, const struct pdu_sms *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->wrap, b->wrap);
    assert_int_equal(a->cp_ti, b->cp_ti);
    assert_int_equal(a->cp_cause, b->cp_cause);
    assert_int_equal(a->rp_mr, b->rp_mr);
    assert_int_equal(a->rp_cause, b->rp_cause);
    assert_int_equal(a->rp_has_diag, b->rp_has_diag);
    assert_int_equal(a->rp_has_ud, b->rp_has_ud);
    assert_memory_equal(a->rp_ud, b->rp_ud, a->rp_ud_len);
    addr_equal(&a->smsc, &b->smsc);
    assert_int_equal(a->mr, b->mr);
    assert_int_equal(a->rd, b->rd);
    assert_int_equal(a->srr, b->srr);
    assert_int_equal(a->srq, b->srq);
    assert_int_equal(a->rp, b->rp);
    assert_int_equal(a->mms, b->mms);
    assert_int_equal(a->lp, b->lp);
    addr_equal(&a->da, &b->da);
    addr_equal(&a->oa, &b->oa);
    assert_int_equal(a->pid, b->pid);
    assert_int_equal(a->dcs, b->dcs);
    assert_int_equal(a->vp.format, b->vp.format);
    assert_int_equal(a->vp.seconds, b->vp.seconds);
    assert_int_equal(a->vp.absolute_ms, b->vp.absolute_ms);
    assert_int_equal(a->scts_ms, b->scts_ms);
    assert_int_equal(a->dt_ms, b->dt_ms);
    assert_int_equal(a->st, b->st);
    assert_string_equal(a->text, b->text);
    assert_int_equal(a->concat.present, b->concat.present);
    assert_int_equal(a->concat.ref, b->concat.ref);
    assert_int_equal(a->concat.ref16, b->concat.ref16);
    assert_int_equal(a->concat.total, b->concat.total);
    assert_int_equal(a->concat.seq, b->concat.seq);
}

static void check_error(const struct pdu_error *e, size_t offset,
                        const char *field)
{
    char prefix[80];

    snprintf(prefix, sizeof prefix, "octet %zu (%s): ", offset, field);
    assert_int_equal(e->offset, offset);
    assert_string_equal(e->field, field);
    if (strncmp(e->detail, prefix, strlen(prefix)) != 0)
        fail_msg("detail \"%s\" does not start with \"%s\"", e->detail, prefix);
}

/* A SUBMIT to +46700007900 after an empty SMSC address. */
static void make_submit(struct pdu_sms *s, uint8_t dcs, const char *text)
{
    memset(s, 0, sizeof *s);
    s->kind = PDU_SMS_SUBMIT;
    s->wrap = PDU_WRAP_SMSC;
    strcpy(s->da.text, "+46700007900");
    s->da.ton = 1;
    s->da.npi = 1;
    s->dcs = dcs;
    snprintf(s->text, sizeof s->text, "%s", text);
}

/* ------------------------------------------------------------ DCS */

static const struct {
    uint8_t dcs;
    int charset;
    const char *group;
    bool compressed, has_class;
    uint8_t cls;
} dcs_cases[] = {
    {0x00, SMS_CS_GSM7, "general", false, false, 0},
    {0x04, SMS_CS_8BIT, "general", false, false, 0},
    {0x08, SMS_CS_UCS2, "general", false, false, 0},
    {0x0C, SMS_CS_GSM7, "general", false, false, 0},
    {0x03, SMS_CS_GSM7, "general", false, false, 0},
    {0x10, SMS_CS_GSM7, "general", false, true, 0},
    {0x11, SMS_CS_GSM7, "general", false, true, 1},
    {0x16, SMS_CS_8BIT, "general", false, true, 2},
    {0x1B, SMS_CS_UCS2, "general", false, true, 3},
    {0x20, SMS_CS_GSM7, "general", true, false, 0},
    {0x35, SMS_CS_8BIT, "general", true, true, 1},
    {0x40, SMS_CS_GSM7, "auto_deletion", false, false, 0},
    {0x48, SMS_CS_UCS2, "auto_deletion", false, false, 0},
    {0x52, SMS_CS_GSM7, "auto_deletion", false, true, 2},
    {0x64, SMS_CS_8BIT, "auto_deletion", true, false, 0},
    {0x80, SMS_CS_GSM7, "reserved", false, false, 0},
    {0x9C, SMS_CS_GSM7, "reserved", false, false, 0},
    {0xA4, SMS_CS_GSM7, "reserved", false, false, 0},
    {0xBF, SMS_CS_GSM7, "reserved", false, false, 0},
    {0xC0, SMS_CS_GSM7, "message_waiting_discard", false, false, 0},
    {0xCB, SMS_CS_GSM7, "message_waiting_discard", false, false, 0},
    {0xD0, SMS_CS_GSM7, "message_waiting_store", false, false, 0},
    {0xD9, SMS_CS_GSM7, "message_waiting_store", false, false, 0},
    {0xE0, SMS_CS_UCS2, "message_waiting_store_ucs2", false, false, 0},
    {0xEA, SMS_CS_UCS2, "message_waiting_store_ucs2", false, false, 0},
    {0xF0, SMS_CS_GSM7, "data_coding_message_class", false, true, 0},
    {0xF1, SMS_CS_GSM7, "data_coding_message_class", false, true, 1},
    {0xF2, SMS_CS_GSM7, "data_coding_message_class", false, true, 2},
    {0xF3, SMS_CS_GSM7, "data_coding_message_class", false, true, 3},
    {0xF4, SMS_CS_8BIT, "data_coding_message_class", false, true, 0},
    {0xF5, SMS_CS_8BIT, "data_coding_message_class", false, true, 1},
    {0xF6, SMS_CS_8BIT, "data_coding_message_class", false, true, 2},
    {0xF7, SMS_CS_8BIT, "data_coding_message_class", false, true, 3},
};

/* ------------------------------------------------------------ encoder */

static const struct {
const char *name, *field;
} encode_errors[] = {
    {"not gsm7", "text"},       {"bad utf8", "text"},
    {"odd hex", "text"},        {"bad da", "TP-DA digits"},
    {"long da", "TP-DA digits"}, {"long alnum", "TP-DA digits"},
    {"plus ton", "TP-DA digits"}, {"alnum smsc", "SMSC address digits"},
    {"bad concat", "TP-UDH"},   {"bad udh", "TP-UDH"},
    {"wrap", "wrap"},           {"kind", "wrap"},
    {"vp", "TP-VP"},            {"vpf", "TP-VPF"},
    {"time", "TP-VP"},          {"cause", "RP-Cause"},
    {"smma", "RP-MTI"},         {"ti", "CP-PD"},
    {"text_len", "text"},       {"pi", "TP-PI"},
    {"alnum char", "TP-DA digits"}, {"npi", "TP-DA digits"},
    {"long udh", "TP-UDH"},     {"enhanced", "TP-VP"},
    {"negative", "TP-VP"},      {"rp_ud_len", "RP-User-Data"},
};

#define N_ENCODE_ERRORS (sizeof encode_errors / sizeof encode_errors[0])

/* broken_struct's cases that are not a SUBMIT. */
static void broken_layer(const char *n, struct pdu_sms *s)
{
    if (!strcmp(n, "cause")) {
        s->kind = PDU_RP_ERROR;
        s->wrap = PDU_WRAP_RP;
        s->rp_cause = 128;
    } else if (!strcmp(n, "smma")) {
        s->kind = PDU_RP_SMMA;
        s->wrap = PDU_WRAP_RP;
        s->rp_mt = true;
    } else if (!strcmp(n, "rp_ud_len")) {
        s->kind = PDU_RP_ACK;
        s->wrap = PDU_WRAP_RP;
        s->rp_has_ud = true;
        s->rp_ud_len = PDU_MAX_BYTES + 1;
    } else if (!strcmp(n, "ti")) {
        s->kind = PDU_CP_ACK;
        s->wrap = PDU_WRAP_CP;
        s->cp_ti = 16;
    } else {
        s->kind = PDU_SMS_STATUS_REPORT; /* "pi" */
        s->scts_ms = s->dt_ms = utc_ms("2020-01-01 00:00:00");
        s->has_pi = true;
        s->pi = 0x80;
    }
}

/* A struct the encoder must refuse, for encode_errors[].name n. */
static void broken_struct(const char *n, struct pdu_sms *s)
{
    make_submit(s, 0x00, "ok");
    if (!strcmp(n, "not gsm7")) {
        strcpy(s->text, "\xE4\xB8\x96");
    } else if (!strcmp(n, "bad utf8")) {
        s->dcs = 0x08;
        strcpy(s->text, "\xC3(");
    } else if (!strcmp(n, "odd hex")) {
        s->dcs = 0x04;
        strcpy(s->text, "ABC");
    } else if (!strcmp(n, "bad da")) {
        strcpy(s->da.text, "+46-70");
    } else if (!strcmp(n, "long da")) {
        strcpy(s->da.text, "123456789012345678901");
    } else if (!strcmp(n, "long alnum")) {
        s->da.ton = 5;
        strcpy(s->da.text, "ABCDEFGHIJKL");
    } else if (!strcmp(n, "plus ton")) {
        s->da.ton = 2;
    } else if (!strcmp(n, "alnum smsc")) {
        s->smsc.ton = 5;
        strcpy(s->smsc.text, "SMSC");
    } else if (!strcmp(n, "bad concat")) {
        s->concat = (struct pdu_concat){true, 300, false, 2, 1};
    } else if (!strcmp(n, "bad udh")) {
        s->udh_len = 2; /* IE 0x00 announcing 3 octets, none follow */
        s->udh[1] = 0x03;
    } else if (!strcmp(n, "wrap")) {
        s->wrap = PDU_WRAP_CP;
    } else if (!strcmp(n, "kind")) {
        s->kind = 99;
    } else if (!strcmp(n, "vp")) {
        s->vp.format = 2;
        s->vp.seconds = 64 * 604800;
    } else if (!strcmp(n, "vpf")) {
        s->vp.format = 4;
    } else if (!strcmp(n, "time")) {
        s->vp.format = 3;
        s->vp.absolute_ms = utc_ms("2090-01-01 00:00:00");
    } else if (!strcmp(n, "text_len")) {
        s->text_len = PDU_TEXT_MAX;
    } else if (!strcmp(n, "alnum char")) {
        s->da.ton = 5;
        strcpy(s->da.text, "\xE4\xB8\x96");
    } else if (!strcmp(n, "npi")) {
        s->da.npi = 16;
    } else if (!strcmp(n, "long udh")) {
        s->udh_len = 140;
    } else if (!strcmp(n, "enhanced") || !strcmp(n, "negative")) {
        s->vp.format = 1;
        s->vp.seconds = n[0] == 'e' ? 64 * 604800 : -1;
    } else {
        broken_layer(n, s);
    }
}

#endif
