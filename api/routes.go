package api

import (
	"net/http"
	"strings"
)

// route is one endpoint; the OpenAPI test checks each is documented.
type route struct {
	pattern string // net/http ServeMux pattern: "METHOD /path/{var}"
	auth    bool   // needs a token or a trusted client
	handler func(s *Server, w http.ResponseWriter, r *http.Request)
}

var routes = []route{
	{"POST /api/v1/messages", true, (*Server).sendMessage},
	{"GET /api/v1/messages", true, (*Server).listMessages},
	{"GET /api/v1/messages/{id}", true, (*Server).getMessage},
	{"DELETE /api/v1/messages/{id}", true, (*Server).cancelMessage},
	{"POST /api/v1/messages/{id}/retry", true, (*Server).retryMessage},
	{"GET /api/v1/transports", true, (*Server).transports},
	{"POST /api/v1/campaigns", true, (*Server).sendCampaign},
	{"GET /api/v1/campaigns", true, (*Server).listCampaigns},
	{"GET /api/v1/campaigns/{id}", true, (*Server).getCampaign},
	{"DELETE /api/v1/campaigns/{id}", true, (*Server).cancelCampaign},
	{"GET /api/v1/openapi.json", false, (*Server).openAPI},
	{"GET /healthz", false, (*Server).healthz},
	{"GET /readyz", false, (*Server).readyz},
}

func (s *Server) routes() {
	for _, rt := range routes {
		h := rt.handler
		var hf http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		if rt.auth {
			hf = s.authorize(hf)
		}
		s.mux.Handle(rt.pattern, hf)
	}
	if s.opt.Metrics != nil {
		h := s.opt.Metrics
		if !s.opt.PublicMetrics {
			h = s.authorize(h)
		}
		s.mux.Handle("GET /metrics", h)
	}
}

// serveHTTP dispatches through the mux, answering its own 404 and 405 in
// the API's JSON shape.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r) // it, not h, sets the request's path values
		return
	}
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	case http.StatusNotFound:
		writeError(w, http.StatusNotFound, codeNotFound, "no such endpoint: "+r.URL.Path)
	default: // a redirect to a cleaned path: pass it on as it is
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
	}
}

// statusRecorder keeps the status and headers the mux's own handlers write.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(b), nil
}
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// openAPIPath turns a mux pattern's path into OpenAPI's form (the same
// {var} syntax) without the method.
func openAPIPath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	return strings.ToLower(method), path
}
