// An ESME built on the npm "smpp" package for the SMPP server's long
// messages and SMS from phones. Arguments: port system_id password mode dest.
//   mode "long": binds as a transceiver and sends, each asking for a
//   receipt, a text cut into three SAR segments (sar_msg_ref_num,
//   sar_total_segments, sar_segment_seqnum) and a long text in
//   message_payload; it unbinds and exits 0 once each of the four
//   submit_sm has its receipt.
//   mode "receive": binds as a receiver and answers every deliver_sm; it
//   unbinds and exits 0 after dest of them (a count, here).
//   mode "udh": more arguments ref total seqs receipts: binds as a
//   transceiver and sends the segments seqs (comma-separated) of a text of
//   total segments with a UDH of reference ref, each asking for a receipt
//   and reading "segment N of TOTAL. "; it unbinds and exits 0 once all are
//   answered and receipts receipts have come.
// One JSON object per line on stdout:
//   {"event":"bound","status":0}
//   {"event":"submit_resp","status":0,"message_id":"..."}
//   {"event":"receipt","message_id":"...","text":"id:... stat:DELIVRD ..."}
//   {"event":"mo","source":"...","dest":"...","data_coding":0,"text":"..."}
'use strict';

const smpp = require('smpp');

const [port, systemID, password, mode, dest] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const session = smpp.connect({ url: `smpp://127.0.0.1:${port}`, auto_enquire_link_period: 0 });
session.on('error', (e) => { out({ event: 'error', error: String(e) }); process.exit(1); });
const done = () => session.unbind(() => { session.close(); process.exit(0); });
const textOf = (pdu) => {
  const m = pdu.message_payload !== undefined ? pdu.message_payload : pdu.short_message;
  if (Buffer.isBuffer(m)) { return m.toString(); }
  return String(m.message !== undefined ? m.message : m);
};

if (mode === 'long') {
  const segments = ['The first third of a long message, ', 'the second third, ', 'and the last third.'];
  const payload = 'A long text in message payload: ' + 'x'.repeat(300);
  let receipts = 0;
  session.on('deliver_sm', (pdu) => {
    session.send(pdu.response());
    receipts++;
    out({ event: 'receipt', message_id: pdu.receipted_message_id || '', esm_class: pdu.esm_class, text: textOf(pdu) });
    if (receipts === segments.length + 1) { done(); }
  });
  session.bind_transceiver({ system_id: systemID, password }, (pdu) => {
    out({ event: 'bound', status: pdu.command_status });
    if (pdu.command_status !== 0) { process.exit(2); }
    const answered = (r) => out({ event: 'submit_resp', status: r.command_status, message_id: r.message_id || '' });
    segments.forEach((s, i) => session.submit_sm({ destination_addr: dest, registered_delivery: 1, short_message: s,
      sar_msg_ref_num: 0x0abc, sar_total_segments: segments.length, sar_segment_seqnum: i + 1 }, answered));
    session.submit_sm({ destination_addr: dest, registered_delivery: 1, message_payload: payload }, answered);
  });
} else if (mode === 'udh') {
  const [ref, total, seqs, wantArg] = process.argv.slice(7);
  const want = parseInt(wantArg, 10);
  const list = seqs.split(',').map((s) => parseInt(s, 10));
  let answered = 0, receipts = 0;
  const finish = () => { if (answered === list.length && receipts >= want) { done(); } };
  session.on('deliver_sm', (pdu) => {
    session.send(pdu.response());
    receipts++;
    out({ event: 'receipt', message_id: pdu.receipted_message_id || '', esm_class: pdu.esm_class, text: textOf(pdu) });
    finish();
  });
  session.bind_transceiver({ system_id: systemID, password }, (pdu) => {
    out({ event: 'bound', status: pdu.command_status });
    if (pdu.command_status !== 0) { process.exit(2); }
    for (const seq of list) {
      const udh = Buffer.from([5, 0, 3, parseInt(ref, 10), parseInt(total, 10), seq]);
      session.submit_sm({ destination_addr: dest, registered_delivery: 1, esm_class: 0x40,
        short_message: { udh, message: `segment ${seq} of ${total}. ` } }, (r) => {
        answered++;
        out({ event: 'submit_resp', status: r.command_status, message_id: r.message_id || '' });
        finish();
      });
    }
  });
} else {
  const want = parseInt(dest || '1', 10);
  let got = 0;
  session.on('deliver_sm', (pdu) => {
    session.send(pdu.response());
    got++;
    out({ event: 'mo', source: pdu.source_addr, dest: pdu.destination_addr, data_coding: pdu.data_coding, text: textOf(pdu) });
    if (got === want) { done(); }
  });
  session.bind_receiver({ system_id: systemID, password }, (pdu) => {
    out({ event: 'bound', status: pdu.command_status });
    if (pdu.command_status !== 0) { process.exit(2); }
  });
}
setTimeout(() => { out({ event: 'timeout' }); process.exit(3); }, 20000);
