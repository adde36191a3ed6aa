package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/store"
)

// maxCampaignsListed bounds GET /api/v1/campaigns: the newest ones.
const maxCampaignsListed = 100

// campaignRequest is the body of POST /api/v1/campaigns: a text as one
// bulk campaign to many numbers, with its own pace.
type campaignRequest struct {
	To       []string `json:"to"`
	Text     string   `json:"text"`
	From     string   `json:"from"`
	Rate     float64  `json:"rate"`      // parts per second; 0 = no pacing
	Window   string   `json:"window"`    // "08:00-20:00"; "" = all day
	TimeZone string   `json:"time_zone"` // "recipient" (default) or an IANA zone
}

// CampaignView is one campaign and how far it got.
type CampaignView struct {
	ID         string    `json:"id"`
	Received   time.Time `json:"received"`
	Sender     string    `json:"sender,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Rate       float64   `json:"rate"`
	Window     string    `json:"window,omitempty"`
	TimeZone   string    `json:"time_zone"`
	Recipients int       `json:"recipients"`
	Parts      int       `json:"parts"`
	Sent       int       `json:"sent"`      // submitted or delivered
	Delivered  int       `json:"delivered"` // of those sent
	Failed     int       `json:"failed"`    // failed or expired
	Cancelled  int       `json:"cancelled"` // cancelled, or the number opted out
	Pending    int       `json:"pending"`   // queued or being submitted
	Progress   float64   `json:"progress"`  // share of parts no longer pending, 0–1
}

// ViewCampaign is the API's view of a campaign.
func ViewCampaign(s store.CampaignSummary) CampaignView {
	v := CampaignView{ID: s.ID, Received: s.Received, Sender: s.Sender, Subject: s.Subject,
		Rate: s.Pace.Rate, Window: s.Pace.Window.String(), TimeZone: s.Pace.Zone, Recipients: s.Recipients}
	if v.TimeZone == "" {
		v.TimeZone = "recipient"
	}
	for st, n := range s.Parts {
		v.Parts += n
		switch st {
		case store.PartSubmitted:
			v.Sent += n
		case store.PartDelivered:
			v.Sent += n
			v.Delivered += n
		case store.PartFailed, store.PartExpired:
			v.Failed += n
		case store.PartCancelled:
			v.Cancelled += n
		default:
			v.Pending += n
		}
	}
	if v.Parts > 0 {
		v.Progress = float64(v.Parts-v.Pending) / float64(v.Parts)
	}
	return v
}

func (s *Server) listCampaigns(w http.ResponseWriter, _ *http.Request) {
	list, err := s.opt.Queue.Campaigns(maxCampaignsListed)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	out := struct {
		Campaigns []CampaignView `json:"campaigns"`
	}{Campaigns: []CampaignView{}}
	for _, c := range list {
		out.Campaigns = append(out.Campaigns, ViewCampaign(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) {
	if c, ok := s.campaign(w, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, c)
	}
}

// campaign reads campaign id, answering the error when there is none.
func (s *Server) campaign(w http.ResponseWriter, id string) (CampaignView, bool) {
	c, err := s.opt.Queue.Campaign(id)
	if err != nil {
		s.gatewayError(w, err)
		return CampaignView{}, false
	}
	return ViewCampaign(c), true
}

func (s *Server) sendCampaign(w http.ResponseWriter, r *http.Request) {
	var req campaignRequest
	if !decodeBody(w, r, &req) {
		return
	}
	send := sendRequest{To: req.To, Text: req.Text, From: req.From}
	msg := s.checkSend(&send)
	pace, paceMsg := campaignPace(req)
	if msg == "" {
		msg = paceMsg
	}
	if msg != "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, msg)
		return
	}
	id, err := s.opt.Gateway.SendCampaign(r.Context(), "api", send.From, send.To, send.Text, pace)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	if c, ok := s.campaign(w, id); ok {
		w.Header().Set("Location", "/api/v1/campaigns/"+id)
		writeJSON(w, http.StatusCreated, c)
	}
}

func campaignPace(req campaignRequest) (campaign.Pace, string) {
	win, err := campaign.ParseWindow(req.Window)
	if err != nil {
		return campaign.Pace{}, `"window": ` + err.Error()
	}
	if req.Rate < 0 {
		return campaign.Pace{}, `"rate" must be parts per second, 0 or more`
	}
	zone := configs.ZoneSetting(strings.TrimSpace(req.TimeZone))
	if err := campaign.CheckZone(zone); err != nil {
		return campaign.Pace{}, `"time_zone": ` + err.Error() + `; use "recipient" or a zone such as "Europe/Zurich"`
	}
	return campaign.Pace{Rate: req.Rate, Window: win, Zone: zone}, ""
}

// cancelCampaign cancels every part of the campaign still queued.
func (s *Server) cancelCampaign(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.campaign(w, id); !ok {
		return
	}
	n, err := s.opt.Gateway.CancelMessage(r.Context(), id)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	if c, ok := s.campaign(w, id); ok {
		writeJSON(w, http.StatusOK, struct {
			Cancelled int          `json:"cancelled"`
			Campaign  CampaignView `json:"campaign"`
		}{n, c})
	}
}
