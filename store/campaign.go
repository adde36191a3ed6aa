package store

import (
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/campaign"
)

// bktCampaign indexes campaigns: Received + msgKey, as the purge index, so
// a purged message's entry goes with it.
var bktCampaign = []byte("campaign")

// pace writes a campaign's pace, or a 0 byte for none: 1, the rate in
// thousandths of a part per second, the window's minutes, the zone.
func (e *encoder) pace(p *campaign.Pace) {
	if p == nil {
		e.u8(0)
		return
	}
	e.u8(1)
	e.uvar(uint64(math.Round(max(p.Rate, 0) * 1000)))
	e.uvar(uint64(p.Window.Start))
	e.uvar(uint64(p.Window.End))
	e.str(p.Zone)
}

func (d *decoder) pace() *campaign.Pace {
	if !d.boolean("message campaign") {
		return nil
	}
	p := &campaign.Pace{Rate: float64(d.uvar("campaign rate")) / 1000}
	p.Window.Start = d.count("campaign window", 24*60-1)
	p.Window.End = d.count("campaign window", 24*60-1)
	p.Zone = d.str("campaign zone")
	return p
}

// CampaignSummary is one campaign and how far it got.
type CampaignSummary struct {
	ID         string
	Received   time.Time
	Sender     string
	Subject    string
	Pace       campaign.Pace
	Recipients int
	Parts      map[PartState]int // part count by state
}

// Campaigns lists campaigns newest first, at most limit.
func (db *DB) Campaigns(limit int) ([]CampaignSummary, error) {
	var out []CampaignSummary
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		c := tx.Bucket(bktCampaign).Cursor()
		for k, _ := c.Last(); k != nil && len(out) < limit; k, _ = c.Prev() {
			if len(k) <= timeKeyLen {
				return fmt.Errorf("%w: campaign key %x", ErrCorrupt, k)
			}
			s, err := campaignSummary(tx, k[timeKeyLen:])
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	return out, nil
}

// Campaign is one campaign's summary; ErrNotFound when id is no campaign.
func (db *DB) Campaign(id string) (CampaignSummary, error) {
	if !validID(id) {
		return CampaignSummary{}, fmt.Errorf("store: campaign %q: %w", id, ErrNotFound)
	}
	var s CampaignSummary
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		s, err = campaignSummary(tx, msgKey(id))
		return err
	})
	if err != nil {
		return CampaignSummary{}, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

func campaignSummary(tx *bolt.Tx, mk []byte) (CampaignSummary, error) {
	id := string(mk[1:])
	m, err := loadMsg(tx, id, true)
	if err != nil {
		return CampaignSummary{}, err
	}
	if m.Campaign == nil {
		return CampaignSummary{}, fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	states, err := partStates(tx, mk, m.Recipients)
	if err != nil {
		return CampaignSummary{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	s := CampaignSummary{ID: id, Received: m.Received, Sender: m.Sender, Subject: m.Subject, Pace: *m.Campaign,
		Recipients: m.Recipients, Parts: map[PartState]int{}}
	for _, r := range states {
		for _, st := range r {
			s.Parts[st]++
		}
	}
	return s, nil
}
