"""Drives the TrueStock Odoo simulator with Odoo SA's `odoo-client-lib` (PyPI; jsonrpc, legacy xmlrpc
and, on 19, json2) and with Python's own `xmlrpc.client` on /xmlrpc/2. Prints `ok: ...` on success.
Usage: odoo_client_lib_check.py URL DB LOGIN KEY VERSION"""

import sys
import urllib.parse
import xmlrpc.client

import odoolib
from odoolib.tools import AuthenticationError

url, db, login, key, version = sys.argv[1:6]
version = int(version)
parts = urllib.parse.urlparse(url)

protocols = ["jsonrpc", "xmlrpc"] + (["json2"] if version >= 19 else [])
for protocol in protocols:
    connection = odoolib.get_connection(hostname=parts.hostname, protocol=protocol, port=parts.port,
                                        database=db, login=login, password=key)
    Quant = connection.get_model("stock.quant")
    if protocol == "json2":
        rows = Quant.search_read(domain=[["quantity", ">", 5]], fields=["quantity", "product_id"], limit=3, order="id asc")
        # Positional arguments go through /doc-bearer/<model>.json to find their names.
        count = Quant.search_count([["quantity", ">", 5]])
    else:
        rows = Quant.search_read([("quantity", ">", 5)], ["quantity", "product_id"], limit=3, order="id asc")
        count = Quant.search_count([("quantity", ">", 5)])
    assert len(rows) == 3 and all(r["quantity"] > 5 for r in rows), (protocol, rows)
    assert count >= 3, (protocol, count)
    bad = odoolib.get_connection(hostname=parts.hostname, protocol=protocol, port=parts.port,
                                 database=db, login=login, password="wrong-key")
    try:
        # Named, so json2 goes straight to the call (its positional path first fetches /doc-bearer).
        bad.get_model("stock.quant").search_count(domain=[["quantity", ">", 5]])
    except AuthenticationError:
        pass
    else:
        raise AssertionError(f"{protocol}: a bad key was accepted")

# The reference client: xmlrpc.client on /xmlrpc/2, integer faults, and fault 1 for a None result.
common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
assert common.version()["server_serie"] == f"{version}.0"
uid = common.authenticate(db, login, key, {})
assert uid == 2, uid
assert common.authenticate(db, login, "wrong-key", {}) is False
models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
quants = models.execute_kw(db, uid, key, "stock.quant", "search_read", [[["quantity", ">", 5]]],
                           {"fields": ["quantity", "location_id", "product_id"], "limit": 2})
assert len(quants) == 2
try:
    models.execute_kw(db, uid, "wrong-key", "stock.quant", "search_count", [[]])
except xmlrpc.client.Fault as fault:
    assert fault.faultCode == 3, fault
else:
    raise AssertionError("a bad key was accepted over XML-RPC")
quant = quants[0]
context = {"inventory_mode": True}
models.execute_kw(db, uid, key, "stock.quant", "write", [[quant["id"]], {"inventory_quantity": quant["quantity"] + 1}],
                  {"context": context})
try:
    models.execute_kw(db, uid, key, "stock.quant", "action_apply_inventory", [[quant["id"]]], {"context": context})
except xmlrpc.client.Fault as fault:
    # Odoo applies the count, then cannot marshal the None it returns: fault 1, change committed.
    assert fault.faultCode == 1 and "cannot marshal None" in fault.faultString, fault
else:
    raise AssertionError("a None result came back over XML-RPC")
after = models.execute_kw(db, uid, key, "stock.quant", "read", [[quant["id"]], ["quantity"]])
assert after[0]["quantity"] == quant["quantity"] + 1, (quant, after)

print(f"ok: odoo-client-lib over {', '.join(protocols)} and xmlrpc.client against Odoo {version}")
