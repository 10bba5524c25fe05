package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/chainhound/chainhound/internal/problem"
	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

// MaxRequestBytes bounds a request body.
const MaxRequestBytes = 4 << 20

// Handler serves the guard over HTTP:
//
//	POST /v1/guard/safe?chain_id=1&version=1.1.1&simulate=true
//	     body: Safe Transaction Service JSON (a transaction, an array, or a page)
//	POST /v1/guard/audit
//	     body: {"safes": ["0x…"], "queued": <optional STS JSON>}
//
// Answers are the JSON of `chainhound guard safe|audit --output json`;
// errors are RFC 9457 application/problem+json. The serve command mounts
// it; simulation and audits use the service's node.
func Handler(s *Service) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/guard/safe", s.serveSafe)
	mux.HandleFunc("POST /v1/guard/audit", s.serveAudit)
	return mux
}

// fail answers with RFC 9457 problem details, as the whole API does.
func fail(w http.ResponseWriter, status int, title, detail string) {
	problem.Write(w, status, title, detail)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "Request body too large", fmt.Sprintf("the limit is %d bytes", MaxRequestBytes))
		} else {
			fail(w, http.StatusBadRequest, "Unreadable request body", err.Error())
		}
		return nil, false
	}
	return b, true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Service) serveSafe(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	req := SafeRequest{Version: q.Get("version")}
	if v := req.Version; v != "" {
		if _, err := safe.ParseVersion(v); err != nil {
			fail(w, http.StatusBadRequest, "Invalid version", err.Error())
			return
		}
	}
	if v := q.Get("chain_id"); v != "" {
		id, err := ParseUint(v)
		if err != nil || id.Sign() == 0 {
			fail(w, http.StatusBadRequest, "Invalid chain_id", fmt.Sprintf("chain_id %q: want a positive integer", v))
			return
		}
		req.ChainID = id
	}
	if v := q.Get("simulate"); v != "" {
		sim, err := strconv.ParseBool(v)
		if err != nil {
			fail(w, http.StatusBadRequest, "Invalid simulate", fmt.Sprintf("simulate %q: want true or false", v))
			return
		}
		if sim && s.Node == nil {
			fail(w, http.StatusBadRequest, "Simulation unavailable", "this server has no node configured")
			return
		}
		req.Simulate = sim
	}
	txs, err := ParseSTS(b)
	if err != nil {
		fail(w, http.StatusBadRequest, "Invalid Safe transaction JSON", err.Error())
		return
	}
	req.Txs = txs
	res, err := s.CheckSafe(r.Context(), req)
	var ne *NodeError
	if errors.As(err, &ne) {
		fail(w, http.StatusBadGateway, "Node failed", err.Error())
		return
	}
	if err != nil {
		fail(w, http.StatusUnprocessableEntity, "Transaction cannot be checked", err.Error())
		return
	}
	writeJSON(w, res)
}

// AuditRequest is the body of POST /v1/guard/audit.
type AuditRequest struct {
	Safes  []string        `json:"safes"`
	Queued json.RawMessage `json:"queued,omitempty"`
}

func (s *Service) serveAudit(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var req AuditRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, "Invalid audit request", fmt.Sprintf("want {\"safes\":[\"0x…\"],\"queued\":…}: %v", err))
		return
	}
	if len(req.Safes) == 0 {
		fail(w, http.StatusBadRequest, "Invalid audit request", "safes: give at least one Safe address")
		return
	}
	var addrs []common.Address
	for i, a := range req.Safes {
		x, err := ParseAddress(a)
		if err != nil {
			fail(w, http.StatusBadRequest, "Invalid audit request", fmt.Sprintf("safes[%d]: %v", i, err))
			return
		}
		addrs = append(addrs, x)
	}
	var queued []Tx
	if len(req.Queued) > 0 && string(req.Queued) != "null" {
		var err error
		if queued, err = ParseSTS(req.Queued); err != nil {
			fail(w, http.StatusBadRequest, "Invalid queued transactions", err.Error())
			return
		}
	}
	if s.Node == nil {
		fail(w, http.StatusServiceUnavailable, "Audit unavailable", "this server has no node configured")
		return
	}
	res, err := s.Audit(r.Context(), addrs, queued)
	if err != nil {
		fail(w, http.StatusBadGateway, "Audit failed", err.Error())
		return
	}
	writeJSON(w, res)
}
