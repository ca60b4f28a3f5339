package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketHub plays Socket Mode's WebSocket: apps.connections.open hands out
// its URL, it says hello, pings, sends envelopes and collects their acks.
type socketHub struct {
	s     *Server
	mu    sync.Mutex
	conn  *websocket.Conn
	wmu   sync.Mutex // gorilla connections take one writer at a time
	acks  map[string]chan json.RawMessage
	ready chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newSocketHub(s *Server) *socketHub {
	return &socketHub{s: s, acks: map[string]chan json.RawMessage{}, ready: make(chan struct{}), done: make(chan struct{})}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (h *socketHub) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	h.mu.Lock()
	first := h.conn == nil
	h.conn = conn
	h.mu.Unlock()
	h.write(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0OKRBOT"}})
	if first {
		close(h.ready)
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				h.wmu.Lock()
				err := conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
				h.wmu.Unlock()
				if err != nil {
					return
				}
			case <-h.done:
				return
			}
		}
	}()
	for {
		var m struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&m); err != nil {
			return
		}
		h.mu.Lock()
		ch := h.acks[m.EnvelopeID]
		delete(h.acks, m.EnvelopeID)
		h.mu.Unlock()
		if ch != nil {
			ch <- m.Payload
		}
	}
}

func (h *socketHub) write(v any) error {
	h.mu.Lock()
	conn := h.conn
	h.mu.Unlock()
	if conn == nil {
		return errors.New("fakeslack: no Socket Mode connection")
	}
	h.wmu.Lock()
	defer h.wmu.Unlock()
	return conn.WriteJSON(v)
}

func (h *socketHub) close() {
	h.once.Do(func() { close(h.done) })
	h.mu.Lock()
	if h.conn != nil {
		h.conn.Close()
	}
	h.mu.Unlock()
}

// SocketSend sends a Socket Mode envelope ("slash_commands", "interactive",
// "events_api") to the connected app and returns its ack's payload. It
// waits up to timeout for the app to connect and to ack.
func (s *Server) SocketSend(typ string, payload any, retry int, timeout time.Duration) (json.RawMessage, error) {
	h := s.sockets
	select {
	case <-h.ready:
	case <-time.After(timeout):
		return nil, errors.New("fakeslack: the app did not connect in Socket Mode")
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("env-%d", s.seq)
	s.mu.Unlock()
	ch := make(chan json.RawMessage, 1)
	h.mu.Lock()
	h.acks[id] = ch
	h.mu.Unlock()
	err := h.write(map[string]any{"envelope_id": id, "type": typ, "payload": payload,
		"accepts_response_payload": typ != "events_api", "retry_attempt": retry})
	if err != nil {
		return nil, err
	}
	select {
	case p := <-ch:
		return p, nil
	case <-time.After(timeout):
		return nil, errors.New("fakeslack: no ack for " + typ)
	}
}
