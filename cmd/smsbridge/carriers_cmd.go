package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/smsbridge/smsbridge/carriers"
)

// carriersCmd lists the carrier gateway table or finds an address's carrier.
func carriersCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("carriers", "[list | lookup ADDRESS]", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		rest = []string{"list"}
	}
	switch {
	case rest[0] == "list" && len(rest) == 1:
		return printCarriers(stdout, carriers.All())
	case rest[0] == "lookup" && len(rest) == 2:
		addr := rest[1]
		c, ok := carriers.Lookup(addr)
		if !ok && !strings.Contains(addr, "@") {
			c, ok = carriers.LookupDomain(addr)
		}
		if !ok {
			return fmt.Errorf("%s: not a known carrier gateway domain", addr)
		}
		return printCarriers(stdout, []carriers.Carrier{c})
	}
	return usageError{errors.New("usage: smsbridge carriers [list | lookup ADDRESS]")}
}

func printCarriers(w io.Writer, cs []carriers.Carrier) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CARRIER\tCOUNTRY\tSMS DOMAINS\tMMS DOMAINS\tSTATUS")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Country, dashIfEmpty(strings.Join(c.SMSDomains, ",")),
			dashIfEmpty(strings.Join(c.MMSDomains, ",")), dashIfEmpty(c.Status))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
