package webchat

import (
	"net/http"
	"net/http/cookiejar"
	"strings"

	"github.com/contactkit/contactkit"
)

// Cookies returns the cookies the service set on the session (the ones
// POST /chat/end finds it by), to be kept with the session's id and given
// to ResumeChat later, in this process or another.
func (ch *Chat) Cookies() []*http.Cookie {
	if ch.jar == nil {
		return nil
	}
	u := *ch.t.BaseURL()
	u.Path = strings.TrimSuffix(u.Path, "/") + "/chat/end"
	return ch.jar.Cookies(&u)
}

// ResumeChat returns a Chat for a session started earlier, perhaps by
// another process: s as the start returned it (its ID at least, and its
// serverToClientQueue for NewSessionSource) and the cookies Chat.Cookies
// returned. This is how a stateless bridge (package webchat/bridge)
// serves one chat from many instances. Nothing is sent.
func (c *Client) ResumeChat(s Session, cookies []*http.Cookie) (*Chat, error) {
	if strings.TrimSpace(s.ID) == "" {
		return nil, &contactkit.ValidationError{Field: "Session.ID", Reason: "is required to resume a chat"}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	set := make([]*http.Cookie, 0, len(cookies))
	for _, ck := range cookies {
		if ck == nil || ck.Name == "" {
			continue
		}
		set = append(set, &http.Cookie{Name: ck.Name, Value: ck.Value, Path: "/"})
	}
	jar.SetCookies(c.t.BaseURL(), set)
	return newChat(s, c.t.WithCookieJar(jar), jar), nil
}
