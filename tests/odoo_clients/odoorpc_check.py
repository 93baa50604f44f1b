"""Drives the TrueStock Odoo simulator with the real `odoorpc` package (PyPI), as a real integration
would: login, a domain read of quants, fields_get, create and validate a scrap, and the error for a bad
key. Prints one line `ok: ...` on success; any failure raises. Usage: odoorpc_check.py URL DB LOGIN KEY"""

import sys
import urllib.parse

import odoorpc

url, db, login, key = sys.argv[1:5]
parts = urllib.parse.urlparse(url)

odoo = odoorpc.ODOO(parts.hostname, protocol="jsonrpc", port=parts.port)
major = int(odoo.version.split(".")[0].replace("saas~", ""))
odoo.login(db, login, key)
assert odoo.env.uid == 2, odoo.env.uid

Quant = odoo.env["stock.quant"]
ids = Quant.search([("location_id.usage", "=", "internal"), ("quantity", ">", 5)], limit=5, order="id asc")
assert len(ids) == 5, ids
rows = Quant.read(ids, ["product_id", "location_id", "quantity", "write_date"])
assert all(r["quantity"] > 5 for r in rows), rows
assert all(isinstance(r["product_id"], list) and len(r["product_id"]) == 2 for r in rows), rows

fields = Quant.fields_get(attributes=["type", "string", "relation"])
assert fields["product_id"]["type"] == "many2one" and fields["product_id"]["relation"] == "product.product", fields["product_id"]
assert fields["quantity"]["type"] == "float"

Scrap = odoo.env["stock.scrap"]
quant = rows[0]
scrap_id = Scrap.create({
    "product_id": quant["product_id"][0],
    "product_uom_id": 1,
    "scrap_qty": 1.0,
    "location_id": quant["location_id"][0],
    "origin": "odoorpc-check",
})
result = Scrap.browse(scrap_id).action_validate()
assert result is True, result
state = Scrap.read([scrap_id], ["state"])[0]["state"]
assert state == "done", state
after = Quant.read([quant["id"]], ["quantity"])
assert after and after[0]["quantity"] == quant["quantity"] - 1, (quant, after)

bad = odoorpc.ODOO(parts.hostname, protocol="jsonrpc", port=parts.port)
try:
    bad.login(db, login, "not-the-key")
except odoorpc.error.RPCError as error:
    assert "Wrong login ID or password" in str(error), error
else:
    raise AssertionError("a bad key was accepted")

print(f"ok: odoorpc {odoorpc.__version__} against Odoo {odoo.version}: read {len(rows)} quants, scrap {scrap_id} done")
