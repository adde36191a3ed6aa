#!/usr/bin/env bash
# Regenerates the corpus samples written by real mail clients on a Debian
# machine (apt-get install mutt bsd-mailx): each client is given a
# "sendmail" that only copies the mail it is handed into a file.
#   bridge/corpus/testdata/gen/real-clients.sh
# Dates and Message-IDs change on every run; the golden results do not
# depend on them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$here")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work LC_ALL=C.UTF-8 TZ=UTC

# capture NAME: a sendmail stand-in that writes its input to NAME.eml.
capture() {
	cat >"$work/sendmail" <<SH
#!/bin/sh
cat >"$out/$1.eml"
SH
	chmod +x "$work/sendmail"
}

# bsd-mailx: no MIME headers at all, body bytes as given.
mailx() {
	capture "$1"; shift
	printf 'set sendmail=%s\n' "$work/sendmail" >"$work/mailrc"
	MAILRC=$work/mailrc /usr/bin/mail "$@"
}

# mutt in batch mode with a muttrc made of the given settings.
mutt() {
	capture "$1"; shift
	{
		printf 'set sendmail="%s"\n' "$work/sendmail"
		printf 'set from="Dana Ops <dana@example.org>" realname="Dana Ops" hostname=example.org\n'
		printf 'set use_from=yes record="" sig_dashes=yes\n'
		while [ "$1" != "--" ]; do printf '%s\n' "$1"; shift; done
	} >"$work/muttrc"
	shift
	/usr/bin/mutt -n -F "$work/muttrc" "$@"
}

printf 'Nightly backup of db-1 finished in 42 min.\n9.8 GB written to tape 7.\n' |
	mailx mailx_plain -s "Backup OK" 4151234567@sms.example.com
printf 'Caf\xe9 ordering system: r\xe9servation #4411 confirm\xe9e.\nTotal 23,50 \x80\n' |
	mailx mailx_latin1_8bit -s "Reservation" 4151234567@sms.example.com
printf 'Server room temperature 31°C – above the 28°C limit.\nDoors: ✓ closed\n' |
	mailx mailx_utf8_8bit -s "Temp alarm" 4151234567@sms.example.com

# Batch mode adds no signature: the body carries the one mutt would insert.
printf 'Can you restart the queue worker on app-3?\nIt stopped at 02:10 and the backlog is growing.\n\n-- \nDana Ops\nOn call this week, ext. 4410\n' |
	mutt mutt_signature -- -s "queue worker" 4151234567@sms.example.com
# The body is what an editor set up for flowed text (vim formatoptions+=w)
# writes: soft breaks end in a space.
printf 'This is a long line that mutt will send as format=flowed so that the \nreceiving client can rewrap it to the width of its own window, which \nmatters on a phone.\n\nSecond paragraph.\n' |
	mutt mutt_flowed 'set text_flowed=yes' -- -s "flowed" 4151234567@sms.example.com
printf 'Report for March attached, summary: all green except the VPN.\n' >"$work/body"
head -c 3000 /dev/urandom >"$work/report.pdf"
printf 'id,value\n1,42\n' >"$work/data.csv"
mutt mutt_attachments -- -s "March report" -a "$work/report.pdf" "$work/data.csv" -- 4151234567@sms.example.com <"$work/body"
printf 'Ça marche, réunion jeudi à 14h au café près de la gare.\n' |
	mutt mutt_latin1 'set send_charset="us-ascii:iso-8859-1:utf-8"' -- -s "Réunion jeudi" 4151234567@sms.example.com
printf 'Сервер db-2 недоступен с 03:15. Проверьте сеть.\n' |
	mutt mutt_koi8r 'set send_charset="us-ascii:koi8-r:utf-8"' -- -s "Авария db-2" 4151234567@sms.example.com
printf 'Ο διακομιστής εκτός λειτουργίας. ΠΡΟΣΟΧΗ: ΔΙΑΚΟΠΗ 22:00.\n' |
	mutt mutt_greek 'set send_charset="us-ascii:iso-8859-7:utf-8"' -- -s "Βλάβη" 4151234567@sms.example.com
printf 'サーバーが停止しました。至急確認してください。\n' |
	mutt mutt_iso2022jp 'set send_charset="us-ascii:iso-2022-jp:utf-8"' -- -s "障害連絡" 4151234567@sms.example.com
printf '数据库备份失败，请检查磁盘空间。🙏\n' |
	mutt mutt_utf8_chinese 'set send_charset="utf-8"' -- -s "备份失败" 4151234567@sms.example.com
printf 'On Mon, Mar 04, 2024 at 09:12:44AM +0100, Alex Kim wrote:\n> Is the maintenance window still 22:00?\n> \n> Alex\n\nYes, 22:00 to 23:30. I will text when it starts.\n' |
	mutt mutt_reply_top 'set text_flowed=no' -- -s "Re: maintenance" 4151234567@sms.example.com
