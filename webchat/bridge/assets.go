package bridge

import (
	"embed"
	"net/http"
)

//go:embed assets
var assets embed.FS

// serveAsset serves one embedded file of the client.
func serveAsset(name, contentType string) http.HandlerFunc {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic("webchat bridge: missing embedded asset " + name) // a build mistake, found by every test
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Cross-Origin-Resource-Policy", "same-site")
		_, _ = w.Write(b)
	}
}
