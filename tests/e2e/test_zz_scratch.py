import json


def test_scratch(client, make_party, auth_headers, make_record):
    p = make_party("charity", conditions=["mental-health"]) if False else make_party("charity")
    h = auth_headers(p)
    rec = make_record()
    print("REC", json.dumps(rec))
    r = client.post("/api/v1/experiences", json=rec, headers=h)
    print("CREATE", r.status_code, dict(r.headers).get("Location"), r.get_data(as_text=True))
    r2 = client.post("/api/v1/experiences", json=rec, headers=h)
    print("REPLAY", r2.status_code)
    rec2 = dict(rec, narrative="different text entirely")
    r = client.post("/api/v1/experiences", json=rec2, headers=h)
    print("CONFLICT", r.status_code, r.get_data(as_text=True))
    rec3 = dict(rec, partner_record_id="zz-1", consent={"scopes": ["feedback"]})
    r = client.post("/api/v1/experiences", json=rec3, headers=h)
    print("CONSENT", r.status_code, r.get_data(as_text=True))
    rec4 = dict(rec, partner_record_id="zz-2", experience_date="2099-01-01", bogus=1)
    r = client.post("/api/v1/experiences", json=rec4, headers=h)
    print("INVALID", r.status_code, r.get_data(as_text=True))
    r = client.post(
        "/api/v1/experiences?dry_run=true", json=dict(rec, partner_record_id="zz-3"), headers=h
    )
    print("DRY", r.status_code, r.get_data(as_text=True))
    hk = dict(h, **{"Idempotency-Key": "k1"})
    client.post("/api/v1/experiences", json=dict(rec, partner_record_id="zz-4"), headers=hk)
    r = client.post("/api/v1/experiences", json=dict(rec, partner_record_id="zz-5"), headers=hk)
    print("IDEM", r.status_code, r.get_data(as_text=True))
    rid = json.loads(r2.get_data())["id"]
    r = client.get(f"/api/v1/experiences/{rid}", headers=h)
    print("GET", r.status_code, r.get_data(as_text=True))
    r = client.get(f"/api/v1/experiences/{rid}/consent-receipt", headers=h)
    print("RECEIPT", r.status_code, r.get_data(as_text=True))
    r = client.post(f"/api/v1/experiences/{rid}/withdrawal", headers=h)
    print("WITHDRAW", r.status_code, r.get_data(as_text=True))
    r = client.get(f"/api/v1/experiences/00000000-0000-0000-0000-000000000000", headers=h)
    print("404", r.status_code, r.get_data(as_text=True))
    big = {"records": [dict(rec, partner_record_id=f"b{i}") for i in range(1001)]}
    r = client.post("/api/v1/experiences/batch", json=big, headers=h)
    print("413", r.status_code, r.get_data(as_text=True)[:500])
    org2 = make_party("charity", valid_from=None)
