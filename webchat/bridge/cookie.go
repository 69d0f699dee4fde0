package bridge

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// MinKeyBytes is the least length of a cookie key.
const MinKeyBytes = 32

// maxCookieBytes keeps the sealed cookie within what browsers store.
const maxCookieBytes = 3800

// state is what the browser's cookie carries, sealed.
type state struct {
	Browser string     `json:"b"` // random per browser: rate limits
	CSRF    string     `json:"x"` // the double-submit token
	Issued  int64      `json:"i"` // unix seconds
	Chat    *chatState `json:"c,omitempty"`
}

// chatState is the chat's identity: enough to resume it on any instance.
type chatState struct {
	ID       string      `json:"id"`
	Name     string      `json:"n,omitempty"`
	Skill    string      `json:"s,omitempty"`
	QueueURL string      `json:"q,omitempty"`
	ARN      string      `json:"a,omitempty"`
	Cookies  [][2]string `json:"k,omitempty"`
}

// sealer seals with the first key and opens with any.
type sealer struct {
	name  string
	aeads []cipher.AEAD
}

func newSealer(name string, keys [][]byte) (*sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("CookieKeys: at least one key is required")
	}
	s := &sealer{name: name}
	for i, k := range keys {
		if len(k) < MinKeyBytes {
			return nil, fmt.Errorf("CookieKeys[%d]: want at least %d bytes of secret", i, MinKeyBytes)
		}
		key, err := hkdf.Key(sha256.New, k, nil, "contactkit webchat bridge cookie v1", 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// seal encrypts v with the first key; the cookie's name is the
// additional data, so a value moved to another cookie does not open.
func (s *sealer) seal(v any) (string, error) { return s.sealFor(v, s.name) }

// sealFor encrypts v bound to aad: it opens only with the same aad.
func (s *sealer) sealFor(v any, aad string) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	a := s.aeads[0]
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := base64.RawURLEncoding.EncodeToString(a.Seal(nonce, nonce, plain, []byte(aad)))
	if len(out) > maxCookieBytes {
		return "", fmt.Errorf("the chat state is %d bytes sealed, over the %d a cookie holds", len(out), maxCookieBytes)
	}
	return out, nil
}

// open decrypts a value sealed with any of the keys into v; primary says
// whether it was the first key (otherwise the caller re-seals).
func (s *sealer) open(value string, v any) (primary bool, err error) {
	return s.openFor(value, s.name, v)
}

// openFor is open for a value sealed with sealFor(v, aad).
func (s *sealer) openFor(value, aad string, v any) (primary bool, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return false, errors.New("sealed value is not base64")
	}
	for i, a := range s.aeads {
		if len(raw) < a.NonceSize()+a.Overhead() {
			return false, errors.New("sealed value too short")
		}
		plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte(aad))
		if err != nil {
			continue
		}
		return i == 0, json.Unmarshal(plain, v)
	}
	return false, errors.New("sealed value does not open with any key")
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// load reads the request's state; ok is false when there is none or it
// is invalid or expired; reseal says a rotated key opened it.
func (h *Handler) load(r *http.Request) (st *state, ok, reseal bool) {
	c, err := r.Cookie(h.cfg.CookieName)
	if err != nil {
		return nil, false, false
	}
	var s state
	primary, err := h.seal.open(c.Value, &s)
	if err != nil || s.Browser == "" || s.CSRF == "" || time.Since(time.Unix(s.Issued, 0)) > h.cfg.MaxAge {
		return nil, false, false
	}
	return &s, true, !primary
}

// save sets the cookie with st.
func (h *Handler) save(w http.ResponseWriter, r *http.Request, st *state) error {
	v, err := h.seal.seal(st)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: h.cfg.CookieName, Value: v, Path: h.cfg.CookiePath,
		MaxAge: int(h.cfg.MaxAge / time.Second), HttpOnly: true,
		Secure: r.TLS != nil || h.cfg.SecureCookie, SameSite: http.SameSiteStrictMode,
	})
	return nil
}

func newState() *state {
	return &state{Browser: randomToken(), CSRF: randomToken(), Issued: time.Now().Unix()}
}
