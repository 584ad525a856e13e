#!/usr/bin/env python3
"""Writes the seed corpora (corpus/<target>/) from the API's examples.

The requests are those of ../shared/API.md and of the REST tests (tests/,
gateway/transcoder/json_transcoder_test.cc). Rerun after a contract change and commit
the result: python3 tests/fuzz/make_seeds.py
"""
import hashlib
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "sk_live_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"

# (method, target, body or None): one per endpoint of API.md, bodies as the
# API and the tests write them.
REQUESTS = [
    ("POST", "/v1/clicks", {"programId": "prg_4Hq2", "trackingId": "ada", "sub1": "s",
                            "utmSource": "newsletter", "utmMedium": "cpc", "gclid": "g1",
                            "referrer": "https://blog.example/post", "ip": "203.0.113.9",
                            "userAgent": "Mozilla/5.0", "createdAt": "2026-01-02T03:04:05Z"}),
    ("POST", "/v1/clicks", {"program_id": "p", "tracking_id": "t", "sub1": None}),
    ("POST", "/v1/signups", {"click_id": "clk_7yN2mQ", "email": "lead@example.com",
                             "external_user_id": "u1", "name": "Ada Lovelace"}),
    ("POST", "/v1/signups", {"clickId": "clk_1", "externalUserId": "u1"}),
    ("POST", "/v1/signups", {"click_id": 123}),
    ("POST", "/v1/referrals", {"affiliate_id": "aff_9", "email": "d@example.com",
                               "status": "trialing", "metadata": {"plan": "pro", "seats": 3},
                               "created_at": "2024-05-01T10:00:00.120Z"}),
    ("GET", "/v1/referrals/ref_123", None),
    ("PUT", "/v1/referrals/ref_123", {"status": "customer", "name": "Dee",
                                      "customer_id": "cus_1", "subscription_id": "sub_1"}),
    ("GET", "/v1/referrals?limit=5&order=asc&status=lead&created_gte=2024-01-01T00:00:00Z"
            "&starting_after=ref_1", None),
    ("POST", "/v1/affiliates", {"name": "Bo", "email": "bo@example.com", "program_id": "prg_1",
                                "tracking_id": "bo", "partnership_status": "approved"}),
    ("GET", "/v1/affiliates/aff_1?expand=commissionOverrides", None),
    ("PUT", "/v1/affiliates/aff_1", {"name": "Bob", "metadata": {"tier": 2}}),
    ("DELETE", "/v1/affiliates/aff_1", None),
    ("GET", "/v1/affiliates?page=2&limit=10&partnership_status=approved&search=bo%40ex", None),
    ("POST", "/v1/affiliates/aff_1/commission-overrides",
     {"incentive_id": "inc_1", "amount": 7.5, "is_percentage": False}),
    ("DELETE", "/v1/affiliates/aff_1/commission-overrides/ovr_2", None),
    ("GET", "/v1/program/fraud-rules?program_id=prg_1", None),
    ("PATCH", "/v1/program/fraud-rules", {"selfReferralMode": "block", "paid_traffic_mode": "off",
                                          "paidTrafficConfig": {"utmMediums": [" CPC "],
                                                                "clickParams": ["gclid"]},
                                          "allowedEmailDomains": ["Corp.Example"]}),
    ("GET", "/v1/program/tracking", None),
    ("PATCH", "/v1/program/tracking", {"track_email": False, "trackName": True,
                                       "defaultReferralParameter": "via"}),
    ("GET", "/v1/program/groups", None),
    ("POST", "/v1/program/groups", {"name": "VIP", "description": "Top partners"}),
    ("GET", "/v1/program/groups/grp_1", None),
    ("PATCH", "/v1/program/groups/grp_1", {"isDefault": True, "name": "Everyone"}),
    ("DELETE", "/v1/program/groups/grp_1", None),
    ("POST", "/v1/program/groups/grp_1/incentives",
     {"name": "Per lead", "type": "lead", "amount": 12.5, "currency": "eur",
      "holdPeriodDays": 7}),
    ("DELETE", "/v1/program/groups/grp_1/incentives/inc_1", None),
    ("GET", "/v1/commissions?affiliate_id=aff_1&status=pending&page=1", None),
    ("GET", "/v1/commissions/com_1", None),
    ("POST", "/v1/webhooks", {"url": "https://hooks.example.com/affonso",
                              "events": ["referral.lead", "transaction.created"],
                              "description": "CRM sync"}),
    ("GET", "/v1/webhooks", None),
    ("GET", "/v1/webhooks/whk_1", None),
    ("PATCH", "/v1/webhooks/whk_1", {"enabled": False, "events": ["transaction.created"]}),
    ("DELETE", "/v1/webhooks/whk_1", None),
    ("GET", "/v1/webhooks/whk_1/deliveries?limit=20", None),
    ("POST", "/v1/webhooks/whk_1/deliveries/evt_1/redeliver", None),
]

# Response shapes (API.md's objects) for the transcoder's rendering path.
RESPONSES = [
    ("GET", "/v1/referrals/ref_1", {"id": "ref_1", "affiliate_id": "aff_1", "program_id": "prg_1",
                                    "email": "a@example.com", "status": "lead",
                                    "metadata": {"plan": "pro", "n": 2.5, "ok": True,
                                                 "tags": ["a", None]},
                                    "created_at": "2024-05-01T10:00:00Z",
                                    "fraud_flags": [{"check": "self_referral", "mode": "detect"}]}),
    ("GET", "/v1/referrals", {"data": [{"id": "ref_1", "status": "customer"}], "has_more": True}),
    ("GET", "/v1/affiliates", {"data": [{"id": "aff_1", "name": "Ada"}],
                               "pagination": {"page": 1, "limit": 10, "total": 31,
                                              "total_pages": 4, "has_next_page": True}}),
    ("GET", "/v1/commissions/com_1", {"id": "com_1", "commission_amount": 12.5,
                                      "commission_currency": "USD", "status": "pending",
                                      "hold_period_days": 30, "earning_type": "lead"}),
]


def http_bytes(method, target, body, extra=(), version="1.1"):
    lines = [f"{method} {target} HTTP/{version}", "Host: api.example.com",
             f"Authorization: Bearer {KEY}", "X-Request-Id: req_seed1"]
    lines += list(extra)
    data = b""
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def chunked(method, target, body):
    data = json.dumps(body).encode()
    head = (f"{method} {target} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    middle = len(data) // 2
    parts = [data[:middle], data[middle:]]
    return head + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(directory, f"{name}-{digest}"), "wb") as f:
        f.write(data)


def slug(method, target):
    return (method + target).lower().replace("/", "_").split("?")[0][:60]


def main():
    for target in ("http_request_parse", "json_transcode", "route_match", "validators"):
        shutil.rmtree(os.path.join(HERE, "corpus", target), ignore_errors=True)

    # http_request_parse: control byte (low 7 bits: bytes per read, 0 = all;
    # high bit: small limits), then the bytes on the connection.
    for i, (method, target, body) in enumerate(REQUESTS):
        write("http_request_parse", slug(method, target), bytes([(0, 1, 7, 13)[i % 4]]) +
              http_bytes(method, target, body))
    signup = REQUESTS[2]
    write("http_request_parse", "pipelined", b"\x05" + http_bytes(*REQUESTS[6]) +
          http_bytes(*signup) + http_bytes("GET", "/healthz", None, ["Connection: close"]))
    write("http_request_parse", "chunked", b"\x03" + chunked(*signup))
    write("http_request_parse", "expect-continue",
          b"\x00" + http_bytes(*signup, extra=["Expect: 100-continue"]))
    write("http_request_parse", "http10-keep-alive",
          b"\x00" + http_bytes("GET", "/readyz", None, ["Connection: keep-alive"], "1.0") +
          http_bytes("GET", "/openapi.json", None, version="1.0"))
    write("http_request_parse", "header-over-small-limit",
          b"\x80" + http_bytes("GET", "/v1/referrals", None, ["X-Pad: " + "p" * 300]))
    write("http_request_parse", "body-over-small-limit",
          b"\x81" + http_bytes("POST", "/v1/signups", {"name": "n" * 1100}))
    write("http_request_parse", "malformed", b"\x00GET /v1 HTTP/1.1\r\nBad Header\r\n\r\n")
    write("http_request_parse", "obs-fold",
          b"\x00GET / HTTP/1.1\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n")
    write("http_request_parse", "cut-short", b"\x02" + http_bytes(*signup)[:-7])

    # json_transcode: "METHOD TARGET\nBODY".
    for method, target, body in REQUESTS + RESPONSES:
        text = f"{method} {target}\n"
        if body is not None:
            text += json.dumps(body, separators=(",", ":"))
        write("json_transcode", slug(method, target), text.encode())
    for bad in ['{"click_id":true}', '{"email":["a"]}', '{"status":99}', '{"amount":"lots"}',
                '{"createdAt":"yesterday"}', '{"name":{"first":"x"}}', '[1,2]', '{"a":',
                '{"click_id":"c","clickId":"d"}', '{"amount":1e400}']:
        write("json_transcode", "bad", f"POST /v1/signups\n{bad}".encode())
    write("json_transcode", "path-escape", b"GET /v1/referrals/ref%5F1%2Fx?limit=%35\n")

    # route_match: "METHOD /path".
    for method, target, _ in REQUESTS:
        write("route_match", slug(method, target), f"{method} {target.split('?')[0]}".encode())
    for extra in ["GET /v1/referrals/", "PATCH /v1/signups", "GET /v1/referrals/a%2Fb",
                  "GET /v1/program/%67roups", "OPTIONS /v1/webhooks/whk_1", "GET /v1/referrals/%zz",
                  "GET /", "GET //v1//referrals"]:
        write("route_match", "extra", extra.encode())

    # validators: the same text goes to every validator.
    for text in ["lead@example.com", "Ada.Lovelace+news@GoogleMail.com", "a..b@example.com",
                 "nope", "x@localhost", "user@[127.0.0.1]", "a@b.c0m", "a@mailinator.com.",
                 "clk_7yN2mQ4Hq2Zx9Pw1Lk3Jh", "ref_", "aff_1-2", "Ünïcödé naming",
                 "12.5", "0.1", "1.005", "100000000000000.12", "999999999999999.99", "1e15",
                 "-1", "NaN", "0.30000000000000004",
                 "https://hooks.example.com/affonso?x=1#frag", "http://[::1]:8080/x",
                 "http://127.0.0.1/", "https://user@host/", "http://0x7f.1/", "HTTP://Example.COM:/",
                 "http://example.com:0080", "http://[fe80::1%25eth0]/", "ftp://example.com/",
                 "http://a.com?q", "http://169.254.169.254/latest/meta-data"]:
        write("validators", "text", text.encode())


if __name__ == "__main__":
    main()
