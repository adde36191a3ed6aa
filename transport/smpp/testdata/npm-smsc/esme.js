// An ESME built on the npm "smpp" package, binding to smsbridge's SMPP
// server side as an independent client. Arguments: port system_id password
// dest count. It binds as a transceiver, sends count submit_sm (each
// asking for a receipt) back to back, answers every deliver_sm, and writes
// one JSON object per line on stdout:
//   {"event":"bound","status":0}
//   {"event":"submit_resp","status":0,"message_id":"..."}
//   {"event":"receipt","message_id":"...","text":"id:... stat:DELIVRD ..."}
//   {"event":"enquire_link_resp","status":0}
// then, once every accepted submit has its receipt, unbinds and exits 0.
'use strict';

const smpp = require('smpp');

const [port, systemID, password, dest, countArg] = process.argv.slice(2);
const count = parseInt(countArg || '1', 10);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const session = smpp.connect({ url: `smpp://127.0.0.1:${port}`, auto_enquire_link_period: 0 });
let accepted = 0, answered = 0, receipts = 0;
const finish = () => {
  if (answered === count && receipts === accepted) {
    session.unbind(() => { session.close(); process.exit(0); });
  }
};
session.on('deliver_sm', (pdu) => {
  session.send(pdu.response());
  receipts++;
  out({ event: 'receipt', message_id: pdu.receipted_message_id || '', esm_class: pdu.esm_class,
    text: Buffer.isBuffer(pdu.short_message) ? pdu.short_message.toString() : String(pdu.short_message.message || pdu.short_message) });
  finish();
});
session.on('error', (e) => { out({ event: 'error', error: String(e) }); process.exit(1); });
session.bind_transceiver({ system_id: systemID, password }, (pdu) => {
  out({ event: 'bound', status: pdu.command_status });
  if (pdu.command_status !== 0) { process.exit(2); }
  session.enquire_link({}, (r) => out({ event: 'enquire_link_resp', status: r.command_status }));
  for (let i = 0; i < count; i++) {
    session.submit_sm({ destination_addr: dest, source_addr: '12345', registered_delivery: 1,
      short_message: `npm esme ${i}: disk full` }, (r) => {
      answered++;
      if (r.command_status === 0) { accepted++; }
      out({ event: 'submit_resp', status: r.command_status, message_id: r.message_id || '' });
      finish();
    });
  }
});
setTimeout(() => { out({ event: 'timeout', answered, receipts }); process.exit(3); }, 20000);
