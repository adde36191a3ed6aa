package configs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	t.Parallel()
	c := Default()
	if c.File != "" {
		t.Errorf("File = %q, want empty for the embedded default", c.File)
	}
	if !slices.Equal(c.SMTP.Listen, []string{"127.0.0.1:2525"}) || !slices.Equal(c.SMTP.Domains, []string{"sms.localhost"}) {
		t.Errorf("smtp = %+v", c.SMTP)
	}
	if c.Store.Path != "smsbridge-data/smsbridge.db" || c.Receipts.Maildir != "smsbridge-data/mail" {
		t.Errorf("data paths = %q, %q", c.Store.Path, c.Receipts.Maildir)
	}
	if len(c.Transports) != 1 || c.Transports[0].Name != "simulator" || c.Transports[0].Type != "simulator" {
		t.Fatalf("transports = %+v", c.Transports)
	}
	if c.Receipts.Mode != "all" || c.Receipts.From != "smsbridge@sms.localhost" || c.HTTP.Listen != "127.0.0.1:8025" {
		t.Errorf("receipts = %+v, http = %+v", c.Receipts, c.HTTP)
	}
	if len(c.Routes) != 1 || c.Routes[0].Prefix != "+" || !slices.Equal(c.Routes[0].Transports, []string{"simulator"}) {
		t.Errorf("routes = %+v", c.Routes)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// Each call is independent.
	c.SMTP.Listen[0] = "changed"
	if Default().SMTP.Listen[0] != "127.0.0.1:2525" {
		t.Error("Default shares state between calls")
	}
}

func TestExampleFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.toml")
	if err != nil || len(files) < 3 {
		t.Fatalf("example files: %v, %v", files, err)
	}
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if c.File != f {
			t.Errorf("%s: File = %q", f, c.File)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate after Load: %v", f, err)
		}
	}
}

func TestSMPPExample(t *testing.T) {
	t.Parallel()
	c, err := Load("smpp.toml")
	if err != nil {
		t.Fatal(err)
	}
	smsc, ok := c.Transport("smsc")
	if !ok {
		t.Fatal("no transport smsc")
	}
	if smsc.Type != "smpp" || smsc.Bind != "transceiver" || smsc.Rate != 50 || smsc.Window != 10 || smsc.Binds != 2 ||
		smsc.EnquireLink.Duration != 30*time.Second || smsc.ResponseTimeout.Duration != 10*time.Second {
		t.Errorf("smsc = %+v", smsc)
	}
	if len(c.Routes) != 2 || c.Routes[1].Source != "15550100" {
		t.Errorf("routes = %+v", c.Routes)
	}
	if c.Receipts.Smarthost != "mail.example.com:587" || c.Receipts.SmarthostTLS != "starttls" {
		t.Errorf("receipts = %+v", c.Receipts)
	}
	// Alias numbers come out in E.164.
	if got := c.Aliases["oncall"]; !slices.Equal(got, []string{"+14155550100", "+14155550101"}) {
		t.Errorf("oncall = %v", got)
	}
	if got := c.Aliases["ops-lead"]; !slices.Equal(got, []string{"+14155550102"}) {
		t.Errorf("ops-lead = %v", got)
	}
	if len(c.SMTP.Users) != 1 || c.SMS.Encoding != "auto" || !c.SMS.StrictNumbers || c.SMS.Unreadable != "ucs2" {
		t.Errorf("smtp users = %+v, sms = %+v", c.SMTP.Users, c.SMS)
	}
	if len(c.Text.CutAfter) != 1 || len(c.Text.Drop) != 1 || c.Text.URLs != "short" || c.Text.Emoji != "words" {
		t.Errorf("text = %+v", c.Text)
	}
	if c.Kannel.Listen != "127.0.0.1:13013" || c.Kannel.DLRRetryFor.Duration != 48*time.Hour {
		t.Errorf("kannel = %+v", c.Kannel)
	}
	if c.SMPPServer.Listen != "127.0.0.1:2775" || c.SMPPServer.Rate != 50 {
		t.Errorf("smpp_server = %+v", c.SMPPServer)
	}
	if _, ok := c.Transport("nope"); ok {
		t.Error("Transport found a name that is not there")
	}
}

func TestModemExample(t *testing.T) {
	t.Parallel()
	c, err := Load("modem.toml")
	if err != nil {
		t.Fatal(err)
	}
	gsm, ok := c.Transport("gsm")
	if !ok || gsm.Type != "modem" || gsm.Device == "" || gsm.DailyLimit != 300 || gsm.MonthlyLimit != 5000 ||
		gsm.SendInterval.Duration != 2*time.Second || gsm.Baud != 115200 {
		t.Fatalf("gsm = %+v", gsm)
	}
	if c.SMS.DefaultRegion != "GB" || len(c.Routes) != 1 || c.Routes[0].Prefix != "+44" {
		t.Errorf("sms = %+v, routes = %+v", c.SMS, c.Routes)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "none.toml")
	_, err := Load(path)
	var ce *Error
	if !errors.As(err, &ce) || ce.File != path || !os.IsNotExist(ce.Unwrap()) {
		t.Fatalf("Load(missing) = %v", err)
	}
}

func TestDerivedTables(t *testing.T) {
	t.Parallel()
	c, err := Load("smpp.toml")
	if err != nil {
		t.Fatal(err)
	}
	p := c.NumberPolicy()
	if p.DefaultRegion != "US" || !p.Strict || !slices.Equal(p.AllowedCountries, []string{"US", "CA"}) || p.AllowPremium {
		t.Errorf("policy = %+v", p)
	}
	if _, err := p.Normalize("+442079460958"); err == nil {
		t.Error("policy admits GB though allowed_countries is US, CA")
	}
	routes := c.RouteTable()
	r, ok := routes.Match("+442079460958")
	if !ok || r.Prefix != "+" || r.Source != "15550100" || !slices.Equal(r.Transports, []string{"smsc"}) {
		t.Errorf("Match = %+v, %v", r, ok)
	}
	routes[0].Transports[0] = "changed"
	if c.Routes[0].Transports[0] != "smsc" {
		t.Error("RouteTable shares slices with the Config")
	}
}

// TestClusterExamples: the three files of the one-host cluster example
// are one cluster: the same name, distinct instances, ports and
// directories, each node's peers the other two's route listeners.
func TestClusterExamples(t *testing.T) {
	t.Parallel()
	files := []string{"cluster-1.toml", "cluster-2.toml", "cluster-3.toml"}
	var cs []*Config
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if c.Store.Backend != BackendNATS || c.Cluster == nil || c.Cluster.Replicas != 3 || len(c.Cluster.Peers) != 2 {
			t.Fatalf("%s: store %+v, cluster %+v", f, c.Store, c.Cluster)
		}
		if w := c.Warnings(); len(w) > 0 {
			t.Errorf("%s warns: %v", f, w)
		}
		cs = append(cs, c)
	}
	seen := map[string]string{}
	for i, c := range cs {
		for _, v := range []string{c.Cluster.Instance, c.Cluster.Listen, c.Cluster.ClientListen, c.Cluster.StoreDir,
			c.SMTP.Listen[0], c.HTTP.Listen, c.Store.Path, c.Receipts.Maildir} {
			if f, ok := seen[v]; ok {
				t.Errorf("%s and %s both use %q", f, files[i], v)
			}
			seen[v] = files[i]
		}
		var others []string
		for j, o := range cs {
			if j != i {
				others = append(others, o.Cluster.Listen)
			}
		}
		if !slices.Equal(c.Cluster.Peers, others) || c.Cluster.Name != cs[0].Cluster.Name {
			t.Errorf("%s: cluster %q, peers %v; want %q, %v", files[i], c.Cluster.Name, c.Cluster.Peers, cs[0].Cluster.Name, others)
		}
	}
}
