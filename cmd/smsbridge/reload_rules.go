package main

import (
	"encoding"
	"reflect"
	"slices"
	"strings"

	"github.com/smsbridge/smsbridge/configs"
)

// reloadRule says what SIGHUP does with a key whose value changed.
type reloadRule int

const (
	// live: apply puts the new value in force.
	live reloadRule = iota
	// restart: the running value stays, and the change is logged as
	// taking effect only after a restart.
	restart
)

// reloadRules has a rule for every key of configs.Config
// (TestEveryKeyHasAReloadRule walks the struct to hold it so). Keys inside
// arrays of tables are named without the index.
var reloadRules = map[string]reloadRule{
	"smtp.listen":     restart,
	"smtp.listen_tls": restart,
	// The bridge's reports take a new host name; the greeting and
	// Authentication-Results keep the old until a restart.
	"smtp.hostname":                  restart,
	"smtp.domains":                   live,
	"smtp.accept_carrier_domains":    live,
	"smtp.max_message_bytes":         restart,
	"smtp.max_recipients":            restart,
	"smtp.max_line_length":           restart,
	"smtp.read_timeout":              restart,
	"smtp.write_timeout":             restart,
	"smtp.trusted_networks":          live,
	"smtp.tls_cert":                  restart, // the files named are read again on every SIGHUP
	"smtp.tls_key":                   restart,
	"smtp.users.name":                live,
	"smtp.users.password_hash":       live,
	"smtp.users.allowed_senders":     live,
	"smtp.users.allowed_recipients":  live,
	"smtp.users.mails_per_minute":    live,
	"smtp.users.parts_per_day":       live,
	"smtp.users.recipients_per_mail": live,
	"smtp.users.sms_senders":         live, // sendsms and ESMEs
	"smtp.users.default_sms_sender":  live,
	"smtp.users.smpp_numbers":        live,
	"smtp.max_connections_per_ip":    restart,
	"smtp.max_in_flight":             restart,
	"smtp.max_inflight_per_client":   restart,
	"smtp.data_timeout":              restart,
	"smtp.min_data_rate":             restart,
	"smtp.session_timeout":           restart,
	"smtp.sender_verification":       live,

	"sms.default_region":    live,
	"sms.encoding":          live,
	"sms.split":             live,
	"sms.max_parts":         live,
	"sms.on_too_long":       live,
	"sms.subject":           live,
	"sms.validity":          live,
	"sms.strict_numbers":    live,
	"sms.allowed_countries": live,
	"sms.cut_after":         live,
	"sms.allow_premium":     live,
	"sms.log_text":          restart, // the simulator's, built at start
	"sms.show_links":        live,
	"sms.unreadable":        live,

	"text.cut_after": live,
	"text.drop":      live,
	"text.urls":      live,
	"text.emoji":     live,

	"priority.normal_share": live,
	"priority.bulk_share":   live,
	"priority.rules.user":   live,
	"priority.rules.sender": live,
	"priority.rules.alias":  live,
	"priority.rules.class":  live,
	"priority.rules.max":    live,

	// A campaign's pace is planned when it is queued: a change applies to
	// campaigns queued after the reload.
	"campaigns.min_recipients": live,
	"campaigns.rate":           live,
	"campaigns.window":         live,
	"campaigns.time_zone":      live,

	"store.path":      restart,
	"store.retention": live,
	// The store is opened once, and with it the cluster node or the NATS
	// connection.
	"store.backend":         restart,
	"cluster.name":          restart,
	"cluster.listen":        restart,
	"cluster.peers":         restart,
	"cluster.client_listen": restart,
	"cluster.store_dir":     restart,
	"cluster.replicas":      restart,
	"cluster.tls_cert":      restart,
	"cluster.tls_key":       restart,
	"cluster.tls_ca":        restart,
	"cluster.lease_ttl":     restart,
	"cluster.instance":      restart,
	"nats.urls":             restart,
	"nats.creds_file":       restart,
	"nats.nkey_file":        restart,
	"nats.tls_ca":           restart,
	"nats.tls_cert":         restart,
	"nats.tls_key":          restart,
	"nats.replicas":         restart,
	"nats.prefix":           restart,
	"nats.instance":         restart,
	"nats.lease_ttl":        restart,

	// Transports are opened once; routes may only name running ones.
	"transports.name":              restart,
	"transports.type":              restart,
	"transports.address":           restart,
	"transports.system_id":         restart,
	"transports.password":          restart,
	"transports.system_type":       restart,
	"transports.bind":              restart,
	"transports.source":            restart,
	"transports.rate":              restart,
	"transports.window":            restart,
	"transports.binds":             restart,
	"transports.long":              restart,
	"transports.receipt_id_format": restart,
	"transports.enquire_link":      restart,
	"transports.response_timeout":  restart,
	"transports.gsm7_coding":       restart,
	"transports.ascii_coding":      restart,
	"transports.device":            restart,
	"transports.baud":              restart,
	"transports.pin":               restart,
	"transports.devices":           restart,
	"transports.daily_limit":       restart,
	"transports.monthly_limit":     restart,
	"transports.send_interval":     restart,
	"transports.delivery_delay":    restart,
	"transports.fail_prefixes":     restart,

	"transports.in_doubt_limit":       restart,
	"transports.max_in_doubt_resends": restart,

	"routes.prefix":     live,
	"routes.transports": live,
	"routes.source":     live,

	"receipts.mode":               live,
	"receipts.smarthost":          restart, // the mailer is built at start
	"receipts.smarthost_user":     restart,
	"receipts.smarthost_password": restart,
	"receipts.smarthost_tls":      restart,
	"receipts.delay_after":        live,
	"receipts.retry_min":          live,
	"receipts.maildir":            restart,
	"receipts.from":               live,

	"inbound.default_to":       live,
	"inbound.conversation_ttl": live,
	"inbound.stop_reply":       live,
	"inbound.start_reply":      live,
	"inbound.help_reply":       live,

	"aliases": live,

	"http.listen":         restart,
	"http.tokens":         live,
	"http.public_metrics": restart, // the routes are built at start
	// The API takes them, and the console checks each session against
	// them at every request.
	"http.read_only_tokens": live,
	"http.operators":        live,

	// The sendsms accounts are [[smtp.users]], reloaded with them.
	"kannel.listen":        restart,
	"kannel.dlr_retry_for": restart,
	// The ESME accounts are [[smtp.users]] too, reloaded with them.
	"smpp_server.listen": restart,
	"smpp_server.rate":   restart,
	"smpp_server.tls":    restart, // the certificate files are read again on every SIGHUP

	"smpp_server.window":      restart,
	"smpp_server.segment_ttl": restart,

	"limits.mails_per_minute":    live,
	"limits.parts_per_day":       live,
	"limits.recipients_per_mail": live,
}

// needsRestart names the keys whose change SIGHUP does not put in force.
func needsRestart(old, next *configs.Config) []string {
	var keys []string
	for key, rule := range reloadRules {
		if rule == restart && !reflect.DeepEqual(keyValue(old, key), keyValue(next, key)) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// keyValue is the value of a key in cfg; for a key inside an array of
// tables, the values of all entries.
func keyValue(cfg *configs.Config, key string) any {
	return valueAt(reflect.ValueOf(cfg).Elem(), strings.Split(key, "."))
}

func valueAt(v reflect.Value, path []string) any {
	if len(path) == 0 {
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Pointer: // an optional table; absent, each of its keys is nil
		if v.IsNil() {
			return nil
		}
		return valueAt(v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			if tomlName(v.Type().Field(i)) == path[0] {
				return valueAt(v.Field(i), path[1:])
			}
		}
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = valueAt(v.Index(i), path)
		}
		return out
	}
	return nil
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// configKeys lists the keys of a configuration struct type, tables
// (optional ones too) entered, arrays of tables entered without an index,
// values (durations too) as leaves.
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := tomlName(f)
		if name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		ft := f.Type
		if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(textUnmarshaler) {
			keys = append(keys, configKeys(ft, key)...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}
