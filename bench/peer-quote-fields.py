#!/usr/bin/env python3
"""Peer for `make bench`: the kind of python3 MRTD/RTMR extractor mero-tee's CI uses
today (fixed offsets of a v4/v5 TDX quote, no validation). usage: peer-quote-fields.py QUOTE"""
import json
import struct
import sys

d = open(sys.argv[1], 'rb').read()
version = struct.unpack_from('<H', d, 0)[0]
base = 48 if version == 4 else 54
f = lambda off, n: d[base + off:base + off + n].hex()
print(json.dumps({'version': version, 'mr_td': f(136, 48), 'rt_mr0': f(328, 48), 'rt_mr1': f(376, 48),
                  'rt_mr2': f(424, 48), 'rt_mr3': f(472, 48), 'report_data': f(520, 64),
                  'tee_tcb_svn': f(0, 16)}, indent=2))
