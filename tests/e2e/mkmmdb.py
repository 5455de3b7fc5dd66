#!/usr/bin/env python3
"""mkmmdb.py — writes small MaxMind DB (MMDB) files for kumo's tests.

Debian ships no MaxMind test databases, so the tests make their own with
known answers. Written from the public MaxMind DB format specification
(version 2.0): a binary search tree over the 128-bit IPv6 space (IPv4 at
::a.b.c.d), a 16-byte zero separator, a data section of typed values, and
a metadata map after the marker b"\\xab\\xcd\\xefMaxMind.com".

    mkmmdb.py SPEC.json OUT.mmdb

SPEC: {"database_type": "GeoLite2-City", "record_size": 24|28|32,
       "build_epoch": 1700000000,
       "networks": [["81.2.69.0/24", {...record...}], ...]}
Records are JSON values; an object {"$uint16": 5} / {"$uint32": ..} /
{"$uint64": ..} / {"$int32": ..} / {"$float": ..} forces an integer or float
type; other integers are uint32, other numbers double.
"""
import ipaddress
import json
import struct
import sys

MARKER = b"\xab\xcd\xefMaxMind.com"
T_PTR, T_STR, T_DOUBLE, T_BYTES, T_U16, T_U32, T_MAP = 1, 2, 3, 4, 5, 6, 7
T_I32, T_U64, T_U128, T_ARRAY, T_BOOL, T_FLOAT = 8, 9, 10, 11, 14, 15


def ctrl(typ, size):
    """Control byte(s): type in the top 3 bits (extended types in a second
    byte), size in the low 5 bits with 1-3 extra bytes past 28."""
    if typ <= 7:
        first, ext = typ << 5, b""
    else:
        first, ext = 0, bytes([typ - 7])
    if size < 29:
        return bytes([first | size]) + ext
    if size < 29 + 256:
        return bytes([first | 29]) + ext + bytes([size - 29])
    if size < 285 + 65536:
        return bytes([first | 30]) + ext + (size - 285).to_bytes(2, "big")
    return bytes([first | 31]) + ext + (size - 65821).to_bytes(3, "big")


def uint(typ, v, width):
    raw = v.to_bytes(width, "big").lstrip(b"\x00")
    return ctrl(typ, len(raw)) + raw


def enc(v):
    if isinstance(v, dict) and len(v) == 1 and next(iter(v)).startswith("$"):
        k, x = next(iter(v.items()))
        if k == "$uint16":
            return uint(T_U16, x, 2)
        if k == "$uint32":
            return uint(T_U32, x, 4)
        if k == "$uint64":
            return uint(T_U64, x, 8)
        if k == "$int32":
            return ctrl(T_I32, 4) + struct.pack(">i", x)
        if k == "$float":
            return ctrl(T_FLOAT, 4) + struct.pack(">f", x)
        raise SystemExit("mkmmdb: unknown type %s" % k)
    if isinstance(v, bool):
        return ctrl(T_BOOL, int(v))
    if isinstance(v, int):
        return uint(T_U32, v, 4) if v < 2**32 else uint(T_U64, v, 8)
    if isinstance(v, float):
        return ctrl(T_DOUBLE, 8) + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return ctrl(T_STR, len(b)) + b
    if isinstance(v, list):
        return ctrl(T_ARRAY, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return ctrl(T_MAP, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    raise SystemExit("mkmmdb: cannot encode %r" % (v,))


def build(spec):
    rs = spec.get("record_size", 28)
    if rs not in (24, 28, 32):
        raise SystemExit("mkmmdb: record_size is 24, 28 or 32")
    data, offsets = b"", {}
    nodes = [[None, None]]  # child: None | ("n", index) | ("d", offset)
    for net, rec in spec["networks"]:
        n = ipaddress.ip_network(net, strict=True)
        addr, plen = int(n.network_address), n.prefixlen
        if n.version == 4:
            plen += 96  # IPv4 lives at ::a.b.c.d
        if plen == 0:
            raise SystemExit("mkmmdb: a /0 network is not supported")
        key = json.dumps(rec, sort_keys=True)
        if key not in offsets:
            offsets[key] = len(data)
            data += enc(rec)
        node = 0
        for i in range(plen - 1):
            bit = (addr >> (127 - i)) & 1
            child = nodes[node][bit]
            if child is None or child[0] == "d":
                nodes.append([child, child])  # a data leaf above is pushed down
                nodes[node][bit] = ("n", len(nodes) - 1)
                child = nodes[node][bit]
            node = child[1]
        nodes[node][(addr >> (127 - (plen - 1))) & 1] = ("d", offsets[key])
    count = len(nodes)

    def value(c):
        if c is None:
            return count
        return c[1] if c[0] == "n" else count + 16 + c[1]

    tree = bytearray()
    for left, right in nodes:
        lv, rv = value(left), value(right)
        if rs == 24:
            tree += lv.to_bytes(3, "big") + rv.to_bytes(3, "big")
        elif rs == 28:
            tree += (lv & 0xFFFFFF).to_bytes(3, "big")
            tree.append(((lv >> 24) & 0xF) << 4 | ((rv >> 24) & 0xF))
            tree += (rv & 0xFFFFFF).to_bytes(3, "big")
        else:
            tree += lv.to_bytes(4, "big") + rv.to_bytes(4, "big")
    meta = {
        "node_count": {"$uint32": count},
        "record_size": {"$uint16": rs},
        "ip_version": {"$uint16": 6},
        "database_type": spec.get("database_type", "kumo-test"),
        "languages": ["en"],
        "binary_format_major_version": {"$uint16": 2},
        "binary_format_minor_version": {"$uint16": 0},
        "build_epoch": {"$uint64": spec.get("build_epoch", 1700000000)},
        "description": {"en": "kumo test database"},
    }
    return bytes(tree) + b"\x00" * 16 + data + MARKER + enc(meta)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: mkmmdb.py SPEC.json OUT.mmdb")
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    out = build(spec)
    with open(sys.argv[2], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
