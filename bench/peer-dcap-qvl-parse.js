#!/usr/bin/env node
// Peer for `make bench`: parse a TDX quote with @phala/dcap-qvl (JavaScript port of
// Phala's verifier) and print the measurement fields, as quote2json's consumers read them.
// usage: node peer-dcap-qvl-parse.js DCAP_QVL_DIR QUOTE_FILE
const fs = require('fs');
const { Quote } = require(process.argv[2] + '/src/quote.js');
const q = Quote.parse(new Uint8Array(fs.readFileSync(process.argv[3])));
const r = q.report.data.base || q.report.data;
const hex = (b) => Buffer.from(b).toString('hex');
console.log(JSON.stringify({
  version: q.header.version, mr_td: hex(r.mrTd), rt_mr0: hex(r.rtMr0), rt_mr1: hex(r.rtMr1),
  rt_mr2: hex(r.rtMr2), rt_mr3: hex(r.rtMr3), report_data: hex(r.reportData),
  tee_tcb_svn: hex(r.teeTcbSvn),
}, null, 2));
