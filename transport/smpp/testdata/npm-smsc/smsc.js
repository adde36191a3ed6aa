// An SMPP 3.4 SMSC built on the npm "smpp" package, as an independent peer
// for smsbridge's interop tests. It listens on 127.0.0.1 (port 0 unless
// SMSC_PORT is set) and writes one JSON object per line on stdout:
//   {"event":"listening","port":N}
//   {"event":"bind","command":"bind_transceiver","system_id":"..."}
//   {"event":"submit","id":"...","dest":"...","data_coding":0,"esm_class":64,
//    "udh":"050003...","short_message":"...hex...","status":0}
// Environment: SMSC_SYSTEM_ID / SMSC_PASSWORD (empty = accept any),
// SMSC_RECEIPT_DELAY_MS (default 50), SMSC_RECEIPT_ID_DECIMAL=1 (receipts
// carry the id in decimal and no receipted_message_id TLV).
// Commands, one JSON object per line on stdin:
//   {"cmd":"throttle","n":2}     next n submits get ESME_RTHROTTLED
//   {"cmd":"reject","status":11} every submit gets status (0 = stop)
//   {"cmd":"mo","from":"+1415...","to":"12345","text":"hi"}
'use strict';

const smpp = require('smpp');
const readline = require('readline');
const { encodings } = require('smpp/lib/defs');

const systemID = process.env.SMSC_SYSTEM_ID || '';
const password = process.env.SMSC_PASSWORD || '';
const receiptDelay = parseInt(process.env.SMSC_RECEIPT_DELAY_MS || '50', 10);
const receiptDecimal = process.env.SMSC_RECEIPT_ID_DECIMAL === '1';

let nextID = 0xB0000;
let throttle = 0;
let reject = 0;
const receivers = new Set();

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

// rawMessage recovers the bytes of short_message, which the library decodes.
function rawMessage(pdu) {
	const sm = pdu.short_message;
	if (Buffer.isBuffer(sm)) {
		return { udh: Buffer.alloc(0), msg: sm };
	}
	const udhParts = sm.udh || [];
	const udhBody = Buffer.concat(udhParts);
	const udh = udhParts.length ? Buffer.concat([Buffer.from([udhBody.length]), udhBody]) : Buffer.alloc(0);
	let msg = sm.message;
	if (!Buffer.isBuffer(msg)) {
		const enc = (pdu.data_coding & 0x0F) === 8 ? 'UCS2' : 'ASCII';
		msg = encodings[enc].encode(msg);
	}
	return { udh, msg };
}

function receiptFor(session, pdu, id) {
	const now = new Date();
	const pad = (n) => String(n).padStart(2, '0');
	const date = pad(now.getUTCFullYear() % 100) + pad(now.getUTCMonth() + 1) + pad(now.getUTCDate()) +
		pad(now.getUTCHours()) + pad(now.getUTCMinutes());
	const shownID = receiptDecimal ? String(parseInt(id, 16)) : id;
	const text = 'id:' + shownID + ' sub:001 dlvrd:001 submit date:' + date + ' done date:' + date +
		' stat:DELIVRD err:000 text:';
	const params = {
		source_addr_ton: pdu.dest_addr_ton,
		source_addr_npi: pdu.dest_addr_npi,
		source_addr: pdu.destination_addr,
		dest_addr_ton: pdu.source_addr_ton,
		dest_addr_npi: pdu.source_addr_npi,
		destination_addr: pdu.source_addr,
		esm_class: 4,
		data_coding: 1,
		short_message: Buffer.from(text, 'ascii'),
	};
	if (!receiptDecimal) {
		params.receipted_message_id = id;
		params.message_state = 2;
	}
	setTimeout(() => session.deliver_sm(params), receiptDelay);
}

function onSubmit(session, pdu) {
	const { udh, msg } = rawMessage(pdu);
	let status = 0;
	let id = '';
	if (throttle > 0) {
		throttle--;
		status = 0x58;
	} else if (reject) {
		status = reject;
	} else {
		id = (nextID++).toString(16).toUpperCase();
	}
	out({
		event: 'submit', id, status, dest: pdu.destination_addr, source: pdu.source_addr,
		data_coding: pdu.data_coding, esm_class: pdu.esm_class,
		registered_delivery: pdu.registered_delivery,
		udh: udh.toString('hex'), short_message: msg.toString('hex'),
	});
	session.send(pdu.response(status ? { command_status: status } : { message_id: id }));
	if (!status && (pdu.registered_delivery & 3)) {
		receiptFor(session, pdu, id);
	}
}

function onBind(session, pdu) {
	const ok = (!systemID || pdu.system_id === systemID) && (!password || pdu.password === password);
	out({ event: 'bind', command: pdu.command, system_id: pdu.system_id, ok });
	if (!ok) {
		session.send(pdu.response({ command_status: 0x0E /* ESME_RINVPASWD */ }));
		return;
	}
	if (pdu.command !== 'bind_transmitter') {
		receivers.add(session);
	}
	session.send(pdu.response({ system_id: 'npm-smsc' }));
}

const server = smpp.createServer((session) => {
	session.on('error', () => {});
	session.on('close', () => receivers.delete(session));
	for (const cmd of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
		session.on(cmd, (pdu) => onBind(session, pdu));
	}
	session.on('submit_sm', (pdu) => onSubmit(session, pdu));
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => {
		session.send(pdu.response());
		session.close();
	});
});

function command(line) {
	let c;
	try {
		c = JSON.parse(line);
	} catch (e) {
		out({ event: 'error', error: 'bad command: ' + line });
		return;
	}
	switch (c.cmd) {
	case 'throttle':
		throttle = c.n;
		break;
	case 'reject':
		reject = c.status;
		break;
	case 'mo': {
		const [session] = receivers;
		if (!session) {
			out({ event: 'error', error: 'no receiver bound' });
			return;
		}
		const intl = c.from.startsWith('+');
		session.deliver_sm({
			source_addr_ton: intl ? 1 : 0, source_addr_npi: intl ? 1 : 0,
			source_addr: intl ? c.from.slice(1) : c.from,
			destination_addr: c.to, short_message: c.text,
		});
		break;
	}
	default:
		out({ event: 'error', error: 'unknown command: ' + c.cmd });
		return;
	}
	out({ event: 'done', cmd: c.cmd });
}

readline.createInterface({ input: process.stdin }).on('line', command).on('close', () => process.exit(0));

server.listen(parseInt(process.env.SMSC_PORT || '0', 10), '127.0.0.1', () => {
	out({ event: 'listening', port: server.address().port });
});
