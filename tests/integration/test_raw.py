"""Raw SMS PDUs (SPEC §4 "Raw SMS PDU"), retransmissions (§5 step 2),
RP-SMMA and status reports (§5), on a 3-node cluster."""

from smsc import (assert_error, create, describe, in_future, new_key, ok,
                  scaled, wait_until)

REFERENCE_PDU = "0001000B916407007009F0000004D4F29C0E"


# --------------------------------------------------------------- building PDUs
# A minimal TS 23.040 encoder for the tests' own PDUs (basic GSM 7-bit
# characters only), independent of the server's codec.

def pack7(text):
    out, acc, bits = bytearray(), 0, 0
    for c in text:
        acc |= ord(c) << bits  # letters, digits, space: GSM 7-bit == ASCII
        bits += 7
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        out.append(acc & 0xFF)
    return bytes(out)


def address(number):
    digits = number.lstrip("+")
    ton_npi = 0x91 if number.startswith("+") else 0x81
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i]
                      for i in range(0, len(padded), 2))
    return bytes([len(digits), ton_npi]) + bytes.fromhex(swapped)


def submit_pdu(dest, text, mr=0, rd=False, srr=False):
    first = 0x01 | (0x04 if rd else 0) | (0x20 if srr else 0)
    tpdu = (bytes([first, mr]) + address(dest) + bytes([0x00, 0x00, len(text)])
            + pack7(text))
    return ("00" + tpdu.hex()).upper()  # leading SMSC address of length 0


def deliver_pdu(orig, text):
    tpdu = (bytes([0x04]) + address(orig) + bytes([0x00, 0x00])
            + bytes.fromhex("62011241000000")  # TP-SCTS 2026-10-21 14:00:00
            + bytes([len(text)]) + pack7(text))
    return "00" + tpdu.hex().upper()


def raw(node, pdu, path="/api/messages_raw", **fields):
    body = {"pdu": pdu, "source_smsc": "ims_as"}
    body.update(fields)
    return node.api.post(path, body)


# --------------------------------------------------------------- submissions


def test_pack7_matches_the_reference_example():
    assert submit_pdu("+46700007900", "Test") == REFERENCE_PDU


def test_raw_submit_sync_through_a_follower(cluster3):
    f = cluster3.followers()[0]
    m = ok(raw(f, REFERENCE_PDU, source_msisdn="+447700900000"), 201)
    assert m["destination_msisdn"] == "+46700007900"
    assert m["source_msisdn"] == "+447700900000"
    assert m["message_body"] == "Test"
    assert m["raw_pdu"] == REFERENCE_PDU
    assert m["source_smsc"] == "ims_as" and m["raw_data_flag"] is True
    assert m["tp_data_coding_scheme"] == "00"
    assert m["tp_dcs_character_set"] == "gsm7"
    for n in cluster3:
        got = n.api.get(f"/api/messages/{m['id']}",
                        headers={"X-Consistency": "linearizable"})
        assert ok(got)["raw_pdu"] == REFERENCE_PDU


def test_raw_submit_async(cluster3):
    f = cluster3.followers()[1]
    r = raw(f, submit_pdu("+4915112345678", "async raw"),
            path="/api/messages_raw/async", source_msisdn="+4915100000009")
    assert r.status_code == 202, describe(r)

    def stored():
        return [m for m in cluster3.leader().all_messages()
                if m["message_body"] == "async raw"]
    wait_until(lambda: len(stored()) == 1, scaled(10), what="async raw stored")
    assert stored()[0]["destination_msisdn"] == "+4915112345678"


def test_raw_deliver_takes_the_destination_from_the_body(cluster3):
    leader = cluster3.leader()
    m = ok(raw(leader, deliver_pdu("+31641600986", "Hello there"),
               destination_msisdn="+4915100000001"), 201)
    assert (m["source_msisdn"], m["destination_msisdn"], m["message_body"]) \
        == ("+31641600986", "+4915100000001", "Hello there")
    assert_error(raw(leader, deliver_pdu("+31641600986", "x")), 422,
                 "destination_msisdn")


def test_originator_from_the_location_registry(cluster3):
    a, b, _ = list(cluster3)
    ok(a.api.post("/api/locations", {"msisdn": "+4915100000042",
                                     "imsi": "262019876543210",
                                     "location": "msc1"}), 201)
    m = ok(raw(b, submit_pdu("+4915112345678", "from imsi"),
               source_imsi="262019876543210"), 201)
    assert m["source_msisdn"] == "+4915100000042"
    assert m["source_imsi"] == "262019876543210"
    assert_error(raw(b, submit_pdu("+4915112345678", "who"),
                     source_imsi="262010000000999"), 422, "source_msisdn")


def test_malformed_pdus_name_the_octet_and_field(cluster3):
    f = cluster3.followers()[0]
    for pdu in ["0001000B91", "0001000B916407007009F0000004D4F2",
                REFERENCE_PDU + "00"]:
        r = raw(f, pdu, source_msisdn="+447700900000")
        assert_error(r, 422, "pdu", "octet")
    assert_error(raw(f, "00010G", source_msisdn="+1555"), 422, "pdu")
    assert_error(f.api.post("/api/messages_raw", {"source_smsc": "x"}), 422,
                 "pdu is required")
    assert_error(f.api.post("/api/messages_raw",
                            {"pdu": REFERENCE_PDU, "source_smsc": "x",
                             "colour": "red"}), 422, "colour")
    assert ok(cluster3.leader().api.get("/api/messages")) == []


def test_control_messages_create_nothing(cluster3):
    f = cluster3.followers()[0]
    cp_ack = ok(raw(f, "0904"))
    assert cp_ack["type"] == "CP-ACK"
    rp_ack = ok(raw(f, "0205"))
    assert (rp_ack["type"], rp_ack["message_reference"]) == ("RP-ACK", 5)
    rp_err = ok(raw(f, "04070116"))
    assert (rp_err["type"], rp_err["cause"]) == ("RP-ERROR", 22)
    assert ok(cluster3.leader().api.get(
        "/api/messages", headers={"X-Consistency": "linearizable"})) == []


# --------------------------------------------------------------- RP-SMMA


def test_rp_smma_releases_a_waiting_message(cluster3):
    a, b, c = list(cluster3)
    dest = "+4915100000077"
    m = create(a, destination_msisdn=dest, dest_smsc="msc_x")
    r = b.api.put(f"/api/messages/{m['id']}")  # failed delivery: backs off
    assert r.status_code == 200, describe(r)
    lin = {"smsc": "msc_x", "X-Consistency": "linearizable"}
    assert ok(c.api.get("/api/messages", headers=lin)) == []
    smma = ok(raw(c, "0611", source_msisdn=dest))
    assert (smma["type"], smma["msisdn"], smma["released"]) == \
        ("RP-SMMA", dest, 1)
    assert [x["id"] for x in ok(a.api.get("/api/messages", headers=lin))] \
        == [m["id"]]
    names = [e["name"] for e in ok(c.api.get(f"/api/events/{m['id']}"))]
    assert "memory_available" in names
    assert_error(raw(c, "0611"), 422, "RP-SMMA")


# --------------------------------------------------------------- duplicates


def test_tp_mr_retransmission_and_tp_rd(cluster3):
    a, b, _ = list(cluster3)
    src = {"source_msisdn": "+447700900555"}
    pdu = submit_pdu("+46700007900", "once", mr=42)
    first = raw(a, pdu, **src)
    assert first.status_code == 201, describe(first)
    again = raw(b, pdu, **src)
    assert again.status_code == 200, describe(again)
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    # another TP-MR, or another originator, is another message
    other = ok(raw(b, submit_pdu("+46700007900", "once", mr=43), **src), 201)
    assert other["id"] != first.json()["data"]["id"]
    ok(raw(b, pdu, source_msisdn="+447700900556"), 201)
    # TP-RD set: the duplicate is refused
    rd = submit_pdu("+46700007900", "strict", mr=7, rd=True)
    ok(raw(a, rd, **src), 201)
    assert_error(raw(b, rd, **src), 409, "TP-RD")
    # identical texts through JSON without a key stay two messages
    x = create(a, message_body="same")
    y = create(b, message_body="same")
    assert x["id"] != y["id"]


# --------------------------------------------------------------- reports


def reports_for(node, msg_id):
    return [m for m in node.all_messages(consistent="true")
            if m["status_report_for"] == msg_id]


def test_delivered_message_gets_exactly_one_status_report(cluster3):
    a, b, c = list(cluster3)
    m = create(a, status_report_requested=True, dest_smsc="gw_out",
               source_smsc="origin_gw")
    ok(b.api.post(f"/api/messages/{m['id']}/mark_delivered",
                  {"dest_smsc": "gw_out"}))
    assert_error(c.api.post(f"/api/messages/{m['id']}/mark_delivered", {}),
                 409)
    reports = reports_for(c, m["id"])
    assert len(reports) == 1, reports
    rep = reports[0]
    assert rep["destination_msisdn"] == m["source_msisdn"]
    assert rep["source_msisdn"] == m["destination_msisdn"]
    assert rep["dest_smsc"] == "origin_gw" and rep["status"] == "pending"
    assert rep["status_report_requested"] is False
    assert "delivered" in rep["message_body"]
    # the TPDU: SMS-STATUS-REPORT (TP-MTI 2), TP-ST 0x00 at the end
    assert rep["raw_pdu"] and int(rep["raw_pdu"][:2], 16) & 0x03 == 0x02
    assert rep["raw_pdu"].endswith("00")
    names = [e["name"] for e in ok(a.api.get(f"/api/events/{m['id']}"))]
    assert names.count("status_report_sent") == 1
    # the report is fetched by the frontend the original came from
    queue = ok(a.api.get("/api/messages", headers={
        "smsc": "origin_gw", "X-Consistency": "linearizable"}))
    assert [x["id"] for x in queue] == [rep["id"]]
    # no report without the request
    plain = create(a, dest_smsc="gw_out")
    ok(a.api.post(f"/api/messages/{plain['id']}/mark_delivered", {}))
    assert reports_for(a, plain["id"]) == []


def test_expired_message_reports_tp_st_46(cluster3):
    a = cluster3.leader()
    m = create(a, status_report_requested=True, expires=in_future(1),
               dest_smsc="gw_out")
    wait_until(lambda: len(reports_for(a, m["id"])) == 1, scaled(10),
               what="expiry report")
    rep = reports_for(a, m["id"])[0]
    assert "expired" in rep["message_body"]
    assert rep["raw_pdu"].endswith("46")


def test_raw_submit_with_tp_srr_asks_for_a_report(cluster3):
    a = cluster3.leader()
    pdu = submit_pdu("+46700007900", "report me", mr=9, srr=True)
    m = ok(raw(a, pdu, source_msisdn="+447700900111"), 201)
    assert m["status_report_requested"] is True
    ok(a.api.post(f"/api/messages/{m['id']}/mark_delivered", {}))
    rep = reports_for(a, m["id"])
    assert len(rep) == 1
    # TP-MR of the report is the submit's
    assert int(rep[0]["raw_pdu"][2:4], 16) == 9


def test_status_report_idempotent_under_retries(cluster3):
    a, b, _ = list(cluster3)
    m = create(a, status_report_requested=True, dest_smsc="gw")
    key = new_key()
    for n in (a, b, a):
        r = n.api.post(f"/api/messages/{m['id']}/mark_delivered", {},
                       headers={"Idempotency-Key": key})
        assert r.status_code == 200, describe(r)
    assert len(reports_for(b, m["id"])) == 1
