// An SMPP 3.4 SMSC built on the npm "smpp" package, as an independent peer
// for smsbridge's interop tests. It listens on 127.0.0.1 (port 0 unless
// SMSC_PORT is set) and writes one JSON object per line on stdout:
//   {"event":"listening","port":N}
//   {"event":"bind","command":"bind_transceiver","system_id":"..."}
//   {"event":"submit","id":"...","dest":"...","data_coding":0,"esm_class":64,
//    "udh":"050003...","short_message":"...hex...","status":0}
//   {"event":"held","kind":"submit_sm"}       a request left unanswered
// Environment: SMSC_SYSTEM_ID / SMSC_PASSWORD (empty = accept any),
// SMSC_RECEIPT_DELAY_MS (default 50), SMSC_RECEIPT_ID_DECIMAL=1 (receipts
// carry the id in decimal and no receipted_message_id TLV),
// SMSC_RECEIPT_TEXT_ONLY=1 (no TLVs, the hex id in the text only),
// SMSC_RECEIPTS_ANY_BIND=1 (each receipt goes over the next bound receiver,
// round robin, other than the session that submitted while another is
// bound: several gateways sharing an account get each other's receipts; a
// receipt refused or not answered within 5 s is sent again a second later;
// each attempt is written {"event":"receipt","id":"...","other":true,
// "status":0,"attempt":1}, status -1 when unanswered).
// Commands, one JSON object per line on stdin:
//   {"cmd":"throttle","n":2}     next n submits get ESME_RTHROTTLED
//   {"cmd":"reject","status":11} every submit gets status (0 = stop)
//   {"cmd":"refuse","n":3,"status":13} the next n binds are refused
//   {"cmd":"hold","on":true}     submits are recorded but never answered
//   {"cmd":"delay","ms":1200}    submits are recorded at once, answered ms later
//   {"cmd":"silent","on":true}   nothing is answered (binds, enquire_link, ...)
//   {"cmd":"drop"}               every connection is cut, without unbind
//   {"cmd":"mo","from":"+1415...","to":"12345","text":"hi"}
//   {"cmd":"mo","from":..,"to":..,"parts":["a","b"],"concat":"udh"|"sar",
//    "coding":"gsm7"|"ucs2"|"latin1","ref":7}  concatenated MO, one
//    deliver_sm per part, encoded by the library
'use strict';

const smpp = require('smpp');
const readline = require('readline');
const { encodings } = require('smpp/lib/defs');

const systemID = process.env.SMSC_SYSTEM_ID || '';
const password = process.env.SMSC_PASSWORD || '';
const receiptDelay = parseInt(process.env.SMSC_RECEIPT_DELAY_MS || '50', 10);
const receiptDecimal = process.env.SMSC_RECEIPT_ID_DECIMAL === '1';
const receiptTextOnly = process.env.SMSC_RECEIPT_TEXT_ONLY === '1';
const receiptsAnyBind = process.env.SMSC_RECEIPTS_ANY_BIND === '1';

let nextID = 0xB0000;
let throttle = 0;
let reject = 0;
let refuse = { n: 0, status: 0 };
let hold = false;
let respDelay = 0;
let silent = false;
const receivers = new Set();
const sessions = new Set();
let nextReceiver = 0;

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
	if (!receiptDecimal && !receiptTextOnly) {
		params.receipted_message_id = id;
		params.message_state = 2;
	}
	if (receiptsAnyBind) {
		setTimeout(() => sendReceiptAnyBind(session, params, id, 1), receiptDelay);
		return;
	}
	setTimeout(() => session.deliver_sm(params), receiptDelay);
}

// sendReceiptAnyBind sends a receipt over another bound receiver and, as
// SMSCs do, sends it again (over the next one) while it is refused or not
// answered within 5 s, every second, up to 60 times.
function sendReceiptAnyBind(session, params, id, attempt) {
	const via = receiptSession(session);
	let answered = false;
	const again = () => {
		if (attempt < 60) {
			setTimeout(() => sendReceiptAnyBind(session, params, id, attempt + 1), 1000);
		}
	};
	const timer = setTimeout(() => {
		if (!answered) {
			answered = true;
			out({ event: 'receipt', id, other: via !== session, status: -1, attempt });
			again();
		}
	}, 5000);
	via.deliver_sm(params, (resp) => {
		if (answered) {
			return;
		}
		answered = true;
		clearTimeout(timer);
		out({ event: 'receipt', id, other: via !== session, status: resp.command_status, attempt });
		if (resp.command_status !== 0) {
			again();
		}
	});
}

// receiptSession is the session a receipt for a submit on session goes
// over: that session, or with SMSC_RECEIPTS_ANY_BIND the next other bound
// receiver in turn.
function receiptSession(session) {
	if (!receiptsAnyBind) {
		return session;
	}
	const others = [...receivers].filter((s) => s !== session);
	if (others.length === 0) {
		return session;
	}
	nextReceiver = (nextReceiver + 1) % others.length;
	return others[nextReceiver];
}

function onSubmit(session, pdu) {
	const { udh, msg } = rawMessage(pdu);
	let status = 0;
	let id = '';
	if (silent || hold) {
		out({
			event: 'held', kind: 'submit_sm', dest: pdu.destination_addr,
			udh: udh.toString('hex'), short_message: msg.toString('hex'),
		});
		return;
	}
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
		source_ton: pdu.source_addr_ton, source_npi: pdu.source_addr_npi,
		data_coding: pdu.data_coding, esm_class: pdu.esm_class,
		registered_delivery: pdu.registered_delivery,
		udh: udh.toString('hex'), short_message: msg.toString('hex'),
	});
	const answer = () => {
		session.send(pdu.response(status ? { command_status: status } : { message_id: id }));
		if (!status && (pdu.registered_delivery & 3)) {
			receiptFor(session, pdu, id);
		}
	};
	if (respDelay > 0) {
		setTimeout(answer, respDelay);
	} else {
		answer();
	}
}

function onBind(session, pdu) {
	if (silent) {
		out({ event: 'held', kind: pdu.command });
		return;
	}
	let status = 0;
	if ((systemID && pdu.system_id !== systemID) || (password && pdu.password !== password)) {
		status = 0x0E; // ESME_RINVPASWD
	} else if (refuse.n > 0) {
		refuse.n--;
		status = refuse.status;
	}
	out({ event: 'bind', command: pdu.command, system_id: pdu.system_id, ok: status === 0, status });
	if (status) {
		session.send(pdu.response({ command_status: status }));
		return;
	}
	if (pdu.command !== 'bind_transmitter') {
		receivers.add(session);
	}
	session.send(pdu.response({ system_id: 'npm-smsc' }));
}

const server = smpp.createServer((session) => {
	sessions.add(session);
	session.on('error', () => {});
	session.on('close', () => {
		receivers.delete(session);
		sessions.delete(session);
	});
	for (const cmd of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
		session.on(cmd, (pdu) => onBind(session, pdu));
	}
	session.on('submit_sm', (pdu) => onSubmit(session, pdu));
	session.on('enquire_link', (pdu) => {
		if (!silent) {
			session.send(pdu.response());
		}
	});
	session.on('unbind', (pdu) => {
		session.send(pdu.response());
		session.close();
	});
});

const codings = { gsm7: 0x00, latin1: 0x03, ucs2: 0x08 };

// moParts builds the deliver_sm parameters of a mobile-originated SMS;
// the library encodes the text by data_coding.
function moParts(c) {
	const intl = c.from.startsWith('+');
	const base = {
		source_addr_ton: intl ? 1 : 0, source_addr_npi: intl ? 1 : 0,
		source_addr: intl ? c.from.slice(1) : c.from,
		destination_addr: c.to, esm_class: 0,
	};
	if (!c.parts) {
		return [Object.assign(base, { short_message: c.text })];
	}
	const total = c.parts.length;
	return c.parts.map((text, i) => {
		const p = Object.assign({}, base, { data_coding: codings[c.coding || 'gsm7'] });
		if (c.concat === 'sar') {
			p.sar_msg_ref_num = c.ref;
			p.sar_total_segments = total;
			p.sar_segment_seqnum = i + 1;
			p.short_message = { message: text };
		} else {
			p.short_message = { udh: Buffer.from([5, 0, 3, c.ref, total, i + 1]), message: text };
		}
		return p;
	});
}

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
	case 'refuse':
		refuse = { n: c.n, status: c.status };
		break;
	case 'hold':
		hold = c.on;
		break;
	case 'delay':
		respDelay = c.ms;
		break;
	case 'silent':
		silent = c.on;
		break;
	case 'drop':
		for (const session of sessions) {
			session.destroy();
		}
		break;
	case 'mo': {
		const [session] = receivers;
		if (!session) {
			out({ event: 'error', error: 'no receiver bound' });
			return;
		}
		for (const params of moParts(c)) {
			session.deliver_sm(params);
		}
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
